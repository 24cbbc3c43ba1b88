package org.modalgrid.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.modalgrid.orchestrator.Aggregator;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.results.Json;

/**
 * Aggregator updates as Server-Sent Events: {@code snapshot}, {@code experiment}, {@code run},
 * {@code epoch}, {@code tables} and {@code completed}, each with a JSON body.
 */
public final class EventStream {

  private EventStream() {}

  /** The events for one update, or none when it concerns another experiment than {@code filter}. */
  public static List<ServerSentEvent> toEvents(Aggregator.Update u, String filter) {
    if (u instanceof Aggregator.Snapshot s) {
      ObjectNode o = Json.MAPPER.createObjectNode();
      ArrayNode exps = o.putArray("experiments");
      s.experiments().forEach(e -> exps.add(ApiJson.summary(e)));
      ArrayNode runs = o.putArray("runs");
      for (RunRecord r : s.runs()) runs.add(Json.run(r, false));
      return List.of(event("snapshot", o));
    }
    if (filter != null && !filter.equals(u.experimentId())) {
      // other experiments still announce their summaries, so a picker stays current
      if (u instanceof Aggregator.ExperimentAdded a) return List.of(event("experiment", ApiJson.summary(a.summary())));
      return List.of();
    }
    if (u instanceof Aggregator.ExperimentAdded a) return List.of(event("experiment", ApiJson.summary(a.summary())));
    if (u instanceof Aggregator.RunChanged c) {
      return List.of(event("run", Json.run(c.record(), false)), event("experiment", ApiJson.summary(c.summary())));
    }
    if (u instanceof Aggregator.EpochProgress p) {
      return List.of(event("epoch", ApiJson.epoch(p.experimentId(), p.runId(), p.attempt(), p.stat())));
    }
    if (u instanceof Aggregator.TablesUpdated t) {
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("experiment", t.experimentId());
      return List.of(event("tables", o));
    }
    if (u instanceof Aggregator.ExperimentCompleted c) return List.of(event("completed", ApiJson.summary(c.summary())));
    return List.of();
  }

  private static ServerSentEvent event(String type, JsonNode body) {
    try {
      return ServerSentEvent.create(Json.MAPPER.writeValueAsString(body), type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

package org.modalgrid.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.modalgrid.analysis.TableFormats;
import org.modalgrid.analysis.Tables;
import org.modalgrid.data.DataException;
import org.modalgrid.grid.ConfigError;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.orchestrator.Aggregator;
import org.modalgrid.orchestrator.ExperimentSupervisor;
import org.modalgrid.orchestrator.Orchestrator;
import org.modalgrid.orchestrator.RunState;
import org.modalgrid.results.Json;

/**
 * The HTTP API ({@code /api/v1}, JSON; errors as {@code {"error": ..., "detail": ...}}), the event
 * stream, and the web UI's static assets. Routes only translate between HTTP and the
 * {@link Orchestrator}; the server bootstrap is {@link HttpServer}.
 */
public final class ApiRoutes extends AllDirectives {

  /** Largest accepted request body. */
  public static final long MAX_BODY_BYTES = 256 * 1024;

  private static final ContentType CSV = ContentTypes.create(MediaTypes.TEXT_CSV, HttpCharsets.UTF_8);
  private static final ContentType MARKDOWN = ContentTypes.create(MediaTypes.TEXT_MARKDOWN, HttpCharsets.UTF_8);

  private final Orchestrator orch;
  private final String token;
  private final long startedAt = System.currentTimeMillis();

  /** @param token bearer token required by mutating calls; null or blank for none */
  public ApiRoutes(Orchestrator orch, String token) {
    this.orch = orch;
    this.token = token == null || token.isBlank() ? null : token;
  }

  public Route routes() {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
        pathPrefix("api", () -> pathPrefix("v1", this::api)),
        pathEndOrSingleSlash(() -> getFromResource("modalgrid-ui/index.html")),
        pathPrefix("webjars", () -> getFromResourceDirectory("META-INF/resources/webjars")),
        getFromResourceDirectory("modalgrid-ui"))));
  }

  private Route api() {
    return concat(
        path("health", () -> get(() -> complete(json(StatusCodes.OK, health())))),
        pathPrefix("workers", this::workers),
        path(PathMatchers.segment("data").slash(PathMatchers.segment()), this::dataFile),
        path("events", () -> get(() -> parameterOptional("experiment", this::events))),
        pathPrefix("experiments", this::experiments),
        pathPrefix("runs", this::runs),
        pathEndOrSingleSlash(() -> complete(json(StatusCodes.OK, health()))));
  }

  private Route workers() {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> respond(orch.workers().thenApply(w -> json(StatusCodes.OK, ApiJson.workers(w)))))),
        path(PathMatchers.segment().slash("drain"),
            node -> post(() -> authorized(() -> respond(orch.drain(node).thenApply(this::replied))))),
        path(PathMatchers.segment().slash("resume"),
            node -> post(() -> authorized(() -> respond(orch.resumeWorker(node).thenApply(this::replied))))));
  }

  /** A dataset file of a submitted experiment, by SHA-256, for worker nodes that lack it. */
  private Route dataFile(String sha256) {
    return get(() -> {
      if (!org.modalgrid.data.FileHashes.isSha256(sha256)) {
        return complete(json(StatusCodes.BAD_REQUEST, ApiJson.error("invalid file hash '" + sha256 + "'",
            "expected 64 lower-case hex digits (SHA-256)")));
      }
      return orch.dataFiles().file(sha256)
          .filter(java.nio.file.Files::isRegularFile)
          .map(f -> getFromFile(f.toFile(), ContentTypes.APPLICATION_OCTET_STREAM))
          .orElseGet(() -> complete(json(StatusCodes.NOT_FOUND, ApiJson.error("no dataset file with sha256 " + sha256,
              "only files of submitted experiments are served"))));
    });
  }

  private Route experiments() {
    Route collection = concat(
        get(() -> respond(orch.experiments().thenApply(l -> json(StatusCodes.OK, ApiJson.experiments(l))))),
        post(() -> authorized(() -> withSizeLimit(MAX_BODY_BYTES,
            () -> entity(Unmarshaller.entityToString(), this::submit)))));
    return concat(
        pathEndOrSingleSlash(() -> collection),
        pathPrefix(PathMatchers.segment(), this::experiment));
  }

  private Route experiment(String id) {
    Route summary = get(() -> respond(orch.experiment(id).thenApply(o -> o
        .map(s -> json(StatusCodes.OK, ApiJson.summary(s)))
        .orElseGet(() -> notFound("experiment", id)))));
    return concat(
        pathEndOrSingleSlash(() -> summary),
        path("runs", () -> get(() -> parameterOptional("state", state -> runsOf(id, state)))),
        path("extend", () -> post(() -> authorized(() -> withSizeLimit(MAX_BODY_BYTES,
            () -> entity(Unmarshaller.entityToString(), body -> extend(id, body)))))),
        path("retry-failed", () -> post(() -> authorized(() -> respond(orch.retryFailed(id).thenApply(this::replied))))),
        path("cancel", () -> post(() -> authorized(() -> respond(orch.cancelExperiment(id).thenApply(this::replied))))),
        path(PathMatchers.segment("tables").slash(PathMatchers.segment()),
            name -> get(() -> parameterOptional("format", f -> table(id, name, f.orElse("json"))))));
  }

  private Route runs() {
    return pathPrefix(PathMatchers.segment(), id -> concat(
        pathEndOrSingleSlash(() -> get(() -> respond(orch.run(id).thenApply(o -> o
            .map(r -> json(StatusCodes.OK, Json.run(r, true)))
            .orElseGet(() -> notFound("run", id)))))),
        path("retry", () -> post(() -> authorized(() -> respond(orch.retry(id).thenApply(this::replied))))),
        path("cancel", () -> post(() -> authorized(() -> respond(orch.cancel(id).thenApply(this::replied)))))));
  }

  private Route submit(String body) {
    ExperimentConfig cfg;
    try {
      cfg = ExperimentConfig.parse("request body", body, List.of());
    } catch (ConfigError e) {
      return complete(json(StatusCodes.BAD_REQUEST, ApiJson.error("invalid experiment config", e.getMessage())));
    }
    return respond(orch.submit(cfg, null).thenApply(s -> {
      var o = Json.MAPPER.createObjectNode();
      o.put("id", s.experimentId());
      o.put("runs", s.runs());
      o.put("created", s.created());
      return json(s.created() ? StatusCodes.CREATED : StatusCodes.OK, o);
    }));
  }

  /** A new experiment that grows {@code id}: runs the two share are reused, only new ones are queued. */
  private Route extend(String id, String body) {
    ExperimentConfig cfg;
    try {
      cfg = ExperimentConfig.parse("request body", body, List.of());
    } catch (ConfigError e) {
      return complete(json(StatusCodes.BAD_REQUEST, ApiJson.error("invalid experiment config", e.getMessage())));
    }
    return respond(orch.extend(id, cfg, null).thenApply(o -> o.map(s -> {
      var j = Json.MAPPER.createObjectNode();
      j.put("id", s.experimentId());
      j.put("extends", id);
      j.put("runs", s.runs());
      j.put("new_runs", s.queued());
      j.put("reused", s.runs() - s.queued());
      j.put("created", s.created());
      return json(s.created() ? StatusCodes.CREATED : StatusCodes.OK, j);
    }).orElseGet(() -> notFound("experiment", id))));
  }

  private Route runsOf(String id, Optional<String> state) {
    RunState filter;
    try {
      filter = state.map(RunState::parse).orElse(null);
    } catch (IllegalArgumentException e) {
      return complete(json(StatusCodes.BAD_REQUEST, ApiJson.error("invalid parameter 'state'", e.getMessage())));
    }
    return respond(orch.runs(id, filter).thenApply(o -> o
        .map(l -> json(StatusCodes.OK, ApiJson.runs(l)))
        .orElseGet(() -> notFound("experiment", id))));
  }

  private Route table(String id, String name, String format) {
    if (!Tables.NAMES.contains(name)) {
      return complete(json(StatusCodes.NOT_FOUND, ApiJson.error("no table '" + name + "'", "tables are " + Tables.NAMES)));
    }
    if (!TableFormats.FORMATS.contains(format)) {
      return complete(json(StatusCodes.BAD_REQUEST,
          ApiJson.error("invalid parameter 'format'", "expected one of " + TableFormats.FORMATS + ", got '" + format + "'")));
    }
    return respond(orch.table(id, name).thenApply(o -> o.map(t -> {
      String text = TableFormats.render(t, format);
      ContentType ct = switch (format) {
        case "csv" -> CSV;
        case "md" -> MARKDOWN;
        default -> ContentTypes.APPLICATION_JSON;
      };
      return HttpResponse.create().withStatus(StatusCodes.OK).withEntity(ct, text.getBytes(StandardCharsets.UTF_8));
    }).orElseGet(() -> notFound("experiment", id))));
  }

  /** Server-Sent Events: a snapshot first, then every update (optionally of one experiment). */
  private Route events(Optional<String> experiment) {
    String filter = experiment.filter(s -> !s.isBlank()).orElse(null);
    Source<ServerSentEvent, NotUsed> source = ActorSource.<Aggregator.Update>actorRef(
            u -> false, u -> Optional.empty(), 8192, OverflowStrategy.fail())
        .mapMaterializedValue(ref -> {
          orch.aggregator().tell(new Aggregator.SubscribeWithSnapshot(ref, filter));
          return NotUsed.getInstance();
        })
        .mapConcat(u -> EventStream.toEvents(u, filter))
        .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat);
    return completeOK(source, EventStreamMarshalling.toEventStream());
  }

  private HttpResponse replied(ExperimentSupervisor.Reply r) {
    StatusCode code = switch (r.status()) {
      case "ok" -> StatusCodes.ACCEPTED;
      case "not-found" -> StatusCodes.NOT_FOUND;
      default -> StatusCodes.CONFLICT;
    };
    if (!r.status().equals("ok")) return json(code, ApiJson.error(r.message(), null));
    return json(code, ApiJson.reply(r));
  }

  private JsonNode health() {
    var o = Json.MAPPER.createObjectNode();
    o.put("status", "ok");
    o.put("uptime_ms", System.currentTimeMillis() - startedAt);
    o.put("auth", token != null);
    return o;
  }

  /** Mutating calls need the bearer token whenever one is configured. */
  private Route authorized(Supplier<Route> inner) {
    if (token == null) return inner.get();
    return optionalHeaderValueByName("Authorization", h -> {
      String expected = "Bearer " + token;
      if (h.isPresent() && MessageDigest.isEqual(h.get().getBytes(StandardCharsets.UTF_8),
          expected.getBytes(StandardCharsets.UTF_8))) {
        return inner.get();
      }
      return complete(json(StatusCodes.UNAUTHORIZED, ApiJson.error(
          h.isPresent() ? "invalid token" : "this server needs a token",
          "send the header 'Authorization: Bearer <token>'"))
          .addHeader(WWWAuthenticate.create(HttpChallenge.createOAuth2("modalgrid"))));
    });
  }

  private Route respond(CompletionStage<HttpResponse> stage) {
    return completeWithFuture(stage.exceptionally(ApiRoutes::failure));
  }

  private static HttpResponse failure(Throwable t) {
    Throwable e = t;
    while (e instanceof CompletionException && e.getCause() != null) e = e.getCause();
    if (e instanceof ConfigError || e instanceof DataException || e instanceof com.typesafe.config.ConfigException) {
      return json(StatusCodes.BAD_REQUEST, ApiJson.error("invalid experiment", e.getMessage()));
    }
    return json(StatusCodes.INTERNAL_SERVER_ERROR, ApiJson.error("internal error", String.valueOf(e.getMessage())));
  }

  private static HttpResponse notFound(String what, String id) {
    return json(StatusCodes.NOT_FOUND, ApiJson.error("no " + what + " '" + id + "'", null));
  }

  static HttpResponse json(StatusCode code, JsonNode body) {
    try {
      return HttpResponse.create().withStatus(code)
          .withEntity(ContentTypes.APPLICATION_JSON, Json.MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(org.apache.pekko.http.scaladsl.model.EntityStreamSizeException.class, e -> completeStatic(
            json(StatusCodes.PAYLOAD_TOO_LARGE, ApiJson.error("request body too large",
                "at most " + MAX_BODY_BYTES + " bytes"))))
        .match(Throwable.class, e -> completeStatic(failure(e)))
        .build();
  }

  private static Route completeStatic(HttpResponse r) {
    return new AllDirectives() {}.complete(r);
  }

  /** Every rejection (404, 405, 413, malformed request) as a JSON error with the same status. */
  private static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(resp -> {
      if (resp.entity() instanceof HttpEntity.Strict strict
          && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        String text = strict.getData().utf8String();
        if (resp.status().intValue() == StatusCodes.PAYLOAD_TOO_LARGE.intValue()) {
          return json(resp.status(), ApiJson.error("request body too large", "at most " + MAX_BODY_BYTES + " bytes"));
        }
        return json(resp.status(), ApiJson.error(text.isBlank() ? resp.status().reason() : text, null));
      }
      return resp;
    });
  }
}

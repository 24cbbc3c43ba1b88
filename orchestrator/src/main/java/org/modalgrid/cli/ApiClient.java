package org.modalgrid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.modalgrid.results.Json;

/** The command line's HTTP client of the API (Vert.x Web Client). */
final class ApiClient implements AutoCloseable {

  /** A failed call, with a one-line reason for the user. */
  static final class ApiException extends RuntimeException {
    final int status;

    ApiException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private final Vertx vertx = Vertx.vertx();
  private final WebClient client = WebClient.create(vertx);
  private final String server;
  private final String token;

  ApiClient(String server, String token) {
    this.server = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    this.token = token == null || token.isBlank() ? null : token;
  }

  JsonNode get(String path) {
    return json(send(client.getAbs(server + path), null));
  }

  String getText(String path) {
    return send(client.getAbs(server + path), null).bodyAsString();
  }

  JsonNode post(String path, String body) {
    HttpRequest<Buffer> req = client.postAbs(server + path);
    if (body != null) req.putHeader("Content-Type", "application/hocon");
    return json(send(req, body));
  }

  private HttpResponse<Buffer> send(HttpRequest<Buffer> req, String body) {
    if (token != null) req.putHeader("Authorization", "Bearer " + token);
    req.timeout(60_000);
    try {
      HttpResponse<Buffer> resp = (body == null ? req.send() : req.sendBuffer(Buffer.buffer(body)))
          .toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
      if (resp.statusCode() >= 400) throw new ApiException(resp.statusCode(), describeError(resp));
      return resp;
    } catch (ExecutionException e) {
      throw new ApiException(0, "cannot reach " + server + ": " + e.getCause().getMessage());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new ApiException(0, "no answer from " + server + " within 90 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(0, "interrupted");
    }
  }

  private static String describeError(HttpResponse<Buffer> resp) {
    String text = resp.bodyAsString();
    try {
      JsonNode j = Json.MAPPER.readTree(text);
      String msg = j.path("error").asText(text);
      JsonNode detail = j.path("detail");
      if (!detail.isMissingNode() && !detail.isNull()) msg += ": " + (detail.isTextual() ? detail.asText() : detail.toString());
      return resp.statusCode() + " " + msg;
    } catch (Exception e) {
      return resp.statusCode() + " " + (text == null ? resp.statusMessage() : text.strip());
    }
  }

  private static JsonNode json(HttpResponse<Buffer> resp) {
    try {
      return Json.MAPPER.readTree(resp.bodyAsString());
    } catch (Exception e) {
      throw new ApiException(resp.statusCode(), "the server answered something that is not JSON");
    }
  }

  /**
   * Streams Server-Sent Events to {@code onEvent(name, data)}. The returned future completes when
   * the stream ends (or the caller completes it to stop listening).
   */
  CompletableFuture<Void> events(String pathAndQuery, BiConsumer<String, JsonNode> onEvent) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    URI uri = URI.create(server + pathAndQuery);
    HttpClient http = vertx.createHttpClient();
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(uri.toString())
        .putHeader("Accept", "text/event-stream");
    if (token != null) opts.putHeader("Authorization", "Bearer " + token);
    http.request(opts).compose(req -> req.send()).onComplete(ar -> {
      if (ar.failed()) {
        done.completeExceptionally(new ApiException(0, "cannot reach " + server + ": " + ar.cause().getMessage()));
        return;
      }
      HttpClientResponse resp = ar.result();
      if (resp.statusCode() >= 400) {
        resp.body().onComplete(b -> done.completeExceptionally(new ApiException(resp.statusCode(),
            resp.statusCode() + " " + (b.succeeded() ? b.result().toString() : resp.statusMessage()))));
        return;
      }
      String[] event = {null};
      StringBuilder data = new StringBuilder();
      RecordParser parser = RecordParser.newDelimited("\n", line -> {
        String s = line.toString();
        if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
        if (s.isEmpty()) {
          if (event[0] != null && data.length() > 0) {
            try {
              onEvent.accept(event[0], Json.MAPPER.readTree(data.toString()));
            } catch (Exception ex) {
              done.completeExceptionally(ex);
            }
          }
          event[0] = null;
          data.setLength(0);
        } else if (s.startsWith("event:")) {
          event[0] = s.substring(6).trim();
        } else if (s.startsWith("data:")) {
          if (data.length() > 0) data.append('\n');
          data.append(s.substring(5).stripLeading());
        }
      });
      resp.handler(parser);
      resp.endHandler(v -> done.complete(null));
      resp.exceptionHandler(done::completeExceptionally);
    });
    return done;
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}

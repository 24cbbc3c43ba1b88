package org.modalgrid.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.modalgrid.orchestrator.Orchestrator;

/** Binds the API and UI routes; unbinds gracefully when the actor system shuts down. */
public final class HttpServer {

  private final ServerBinding binding;

  private HttpServer(ServerBinding binding) {
    this.binding = binding;
  }

  /** Refuses to expose the API beyond this machine without a token. */
  public static void checkExposure(String host, String token) {
    if ((token == null || token.isBlank()) && !isLoopback(host)) {
      throw new IllegalArgumentException("refusing to serve on " + host + " without a token: anyone who can reach it "
          + "could submit and cancel experiments. Pass --token (or MODALGRID_TOKEN), or bind to 127.0.0.1");
    }
  }

  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  public static HttpServer start(Orchestrator orch, String host, int port, String token) {
    checkExposure(host, token);
    ApiRoutes routes = new ApiRoutes(orch, token);
    try {
      ServerBinding b = Http.get(orch.system()).newServerAt(host, port).bind(routes.routes())
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      b.addToCoordinatedShutdown(Duration.ofSeconds(5), orch.system());
      return new HttpServer(b);
    } catch (Exception e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot serve on " + host + ":" + port + ": " + c.getMessage(), c);
    }
  }

  public InetSocketAddress address() {
    return binding.localAddress();
  }

  public String url() {
    InetSocketAddress a = address();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getHostString();
    return "http://" + host + ":" + a.getPort() + "/";
  }

  public void stop() {
    try {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // already gone
    }
  }
}

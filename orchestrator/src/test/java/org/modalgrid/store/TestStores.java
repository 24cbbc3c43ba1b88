package org.modalgrid.store;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * Fresh, empty stores for tests, of either kind: an SQLite file in a temporary folder, or a new
 * schema in the PostgreSQL database named by {@code MODALGRID_TEST_PG_URL} (dropped afterwards).
 * Without that variable the PostgreSQL cases are skipped, except in CI ({@code CI=true}), where
 * they fail: CI must run them ({@code .ci/run} starts a server).
 */
public final class TestStores {

  public static final String PG_ENV = "MODALGRID_TEST_PG_URL";

  /** The kinds every store test runs against. */
  public static List<String> kinds() {
    return List.of("sqlite", "postgresql");
  }

  /** A new empty store location; {@link Fresh#close()} removes what it made. */
  public static Fresh fresh(String kind, Path tmp) {
    if (kind.equals("sqlite")) return new Fresh(tmp.resolve("s-" + UUID.randomUUID() + "/modalgrid.db").toString(), null);
    String base = postgresUrl();
    String schema = "mg_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    return new Fresh(base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema, () -> {
      try (Connection c = DriverManager.getConnection(base); Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** The test server's URL, or the test is skipped (outside CI) or fails (in CI). */
  public static String postgresUrl() {
    String url = System.getenv(PG_ENV);
    if (url == null || url.isBlank()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(PG_ENV + " is not set: in CI the store tests must run against PostgreSQL (.ci/run starts one)");
      }
      Assumptions.abort(PG_ENV + " is not set: the PostgreSQL store tests are skipped");
    }
    return url;
  }

  /** A raw connection to a store location, for tests that inspect or tamper with it. */
  public static Connection raw(String location) throws SQLException {
    return DriverManager.getConnection(location.startsWith("jdbc:") ? location : "jdbc:sqlite:" + location);
  }

  public record Fresh(String location, Runnable cleanup) implements AutoCloseable {
    @Override
    public void close() {
      if (cleanup != null) cleanup.run();
    }
  }

  private TestStores() {}
}

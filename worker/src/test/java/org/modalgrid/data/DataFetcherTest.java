package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modalgrid.latent.ProbeSpec;
import org.modalgrid.model.ModelSpec;
import org.modalgrid.model.TrainSpec;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunSpec;

/** Shipping dataset files to a worker by content hash, and refusing any whose hash differs. */
class DataFetcherTest {

  @TempDir Path tmp;
  HttpServer server;
  /** What the stand-in orchestrator serves, by hash (it may lie, to test the check). */
  final Map<String, byte[]> served = new ConcurrentHashMap<>();
  final AtomicInteger requests = new AtomicInteger();
  String url;

  static final byte[] TEXT = "1,2,3\n4,5,6\n7,8,9\n".getBytes(StandardCharsets.UTF_8);
  static final byte[] LABELS = "0\n1\n0\n".getBytes(StandardCharsets.UTF_8);

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/v1/data/", ex -> {
      requests.incrementAndGet();
      String sha = ex.getRequestURI().getPath().substring("/api/v1/data/".length());
      byte[] body = served.get(sha);
      ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
      if (body != null) try (OutputStream out = ex.getResponseBody()) { out.write(body); }
      ex.close();
    });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** A multiview-files run over a folder with text.csv and labels.csv, with their hashes. */
  RunSpec spec(String dir) {
    Map<String, Object> ds = Map.of("source", "multiview-files", "dir", dir,
        "modalities", Map.of("text", "text.csv"), "labels", "labels.csv", "task", "classification", "classes", 0,
        "split", "", "test-fraction", 0.34, "split-seed", 0);
    return new RunSpec("r1", "e1", new Cell(List.of("text"), 1.0, 0, Map.of()), ds, ModelSpec.linear(4),
        new TrainSpec(1, 8, 0.01, 0.9, 0.999, 1e-8, 0, 1, false), new ProbeSpec(2, 0, 10, 1e-6, 10, 10, 0), false,
        Map.of("text.csv", FileHashes.sha256(TEXT), "labels.csv", FileHashes.sha256(LABELS)));
  }

  void serveTheFiles() {
    served.put(FileHashes.sha256(TEXT), TEXT);
    served.put(FileHashes.sha256(LABELS), LABELS);
  }

  @Test
  void filesPresentWithTheirHashesAreUsedInPlace() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.write(data.resolve("text.csv"), TEXT);
    Files.write(data.resolve("labels.csv"), LABELS);
    RunSpec spec = spec(data.toString());
    assertSame(spec, new DataFetcher(tmp.resolve("cache")).localize(spec, url));
    assertEquals(0, requests.get());
    // the manifest the orchestrator computes is the one the run carries
    assertEquals(spec.files(), DataFiles.manifest(ConfigFactory.parseMap(spec.dataset())));
  }

  @Test
  void missingFilesAreFetchedCheckedCachedAndLoadable() {
    serveTheFiles();
    DataFetcher fetcher = new DataFetcher(tmp.resolve("cache"));
    RunSpec local = fetcher.localize(spec(tmp.resolve("nowhere").toString()), url);
    Path dir = Path.of((String) local.dataset().get("dir"));
    assertTrue(dir.startsWith(tmp.resolve("cache")), dir.toString());
    assertEquals(FileHashes.sha256(TEXT), FileHashes.sha256(dir.resolve("text.csv")));
    assertEquals(2, requests.get());
    MultimodalDataset ds = new DatasetCache(1).get(ConfigFactory.parseMap(local.dataset()), 0);
    assertEquals(3, ds.features("text").rows());

    // a second run of the same data (here or in another slot) uses the cache
    fetcher.localize(spec(tmp.resolve("nowhere").toString()), url);
    assertEquals(2, requests.get());
  }

  @Test
  void aCorruptedFileFromTheOrchestratorIsRefusedByItsHash() {
    serveTheFiles();
    byte[] corrupted = TEXT.clone();
    corrupted[2] = '9';
    served.put(FileHashes.sha256(TEXT), corrupted);
    DataFetcher fetcher = new DataFetcher(tmp.resolve("cache"));
    DataException e = assertThrows(DataException.class,
        () -> fetcher.localize(spec(tmp.resolve("nowhere").toString()), url));
    assertTrue(e.getMessage().contains("dataset file 'text.csv'"), e.getMessage());
    assertTrue(e.getMessage().contains("has sha256 " + FileHashes.sha256(corrupted) + ", expected " + FileHashes.sha256(TEXT)),
        e.getMessage());
    assertTrue(e.getMessage().contains("refusing to train on it"), e.getMessage());
    // nothing of it is kept: neither in the cache nor half-written
    assertTrue(Files.notExists(tmp.resolve("cache/blobs").resolve(FileHashes.sha256(TEXT))));
    try (var files = Files.list(tmp.resolve("cache/blobs"))) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".part")));
    } catch (IOException ex) {
      throw new AssertionError(ex);
    }
  }

  @Test
  void aDamagedCacheFileIsFetchedAgain() throws IOException {
    serveTheFiles();
    DataFetcher fetcher = new DataFetcher(tmp.resolve("cache"));
    RunSpec local = fetcher.localize(spec(tmp.resolve("nowhere").toString()), url);
    Path blob = tmp.resolve("cache/blobs").resolve(FileHashes.sha256(TEXT));
    Path linked = Path.of((String) local.dataset().get("dir")).resolve("text.csv");
    Files.delete(linked);
    Files.delete(blob);
    Files.write(blob, "garbage".getBytes(StandardCharsets.UTF_8));
    int before = requests.get();
    RunSpec again = fetcher.localize(spec(tmp.resolve("nowhere").toString()), url);
    assertEquals(before + 1, requests.get());
    assertEquals(FileHashes.sha256(TEXT), FileHashes.sha256(Path.of((String) again.dataset().get("dir")).resolve("text.csv")));
  }

  @Test
  void aLocalFileThatChangedIsFetchedAndWithoutAnOrchestratorRefused() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.write(data.resolve("text.csv"), "1,2,3\n".getBytes(StandardCharsets.UTF_8));
    Files.write(data.resolve("labels.csv"), LABELS);
    RunSpec spec = spec(data.toString());
    DataException e = assertThrows(DataException.class, () -> new DataFetcher(tmp.resolve("cache")).localize(spec, null));
    assertTrue(e.getMessage().startsWith("dataset.dir: " + data.resolve("text.csv").toAbsolutePath() + " has sha256 "),
        e.getMessage());
    assertTrue(e.getMessage().contains("changed since the experiment was submitted"), e.getMessage());

    serveTheFiles();
    RunSpec fetched = new DataFetcher(tmp.resolve("cache")).localize(spec, url);
    assertNotEquals(data.toString(), fetched.dataset().get("dir"));
  }

  @Test
  void anUnreachableOrchestratorIsATransientFailure() {
    DataFetcher fetcher = new DataFetcher(tmp.resolve("cache"));
    DataFetchException notServed = assertThrows(DataFetchException.class,
        () -> fetcher.localize(spec(tmp.resolve("nowhere").toString()), url));
    assertTrue(notServed.getMessage().contains("HTTP 404"), notServed.getMessage());
    server.stop(0);
    DataFetchException down = assertThrows(DataFetchException.class,
        () -> fetcher.localize(spec(tmp.resolve("nowhere").toString()), url));
    assertTrue(down.getMessage().startsWith("cannot fetch dataset file"), down.getMessage());
    assertTrue(org.modalgrid.run.FailureKinds.classify(down).retryable());
    assertEquals("fetch", org.modalgrid.run.FailureKinds.classify(down).kind());
  }

  @Test
  void namesMustStayInsideTheDatasetFolder() {
    for (String bad : List.of("../etc/passwd", "/etc/passwd", "a/../../b", "a//b", ".", "a\\b")) {
      assertThrows(DataException.class, () -> DataFetcher.checkName(bad), bad);
    }
    DataFetcher.checkName("feats/text.npy");
    RunSpec evil = spec(tmp.resolve("nowhere").toString()).withFiles(Map.of("../../outside.csv", "a".repeat(64)));
    DataException e = assertThrows(DataException.class, () -> new DataFetcher(tmp.resolve("cache")).localize(evil, url));
    assertTrue(e.getMessage().contains("not a plain relative path"), e.getMessage());
    assertEquals(0, requests.get());
  }
}

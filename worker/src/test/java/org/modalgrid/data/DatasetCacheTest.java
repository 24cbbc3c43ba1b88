package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class DatasetCacheTest {

  /** A source that counts its loads, can be made slow, and fails on request. */
  private static final class CountingSource implements DatasetSource {
    final AtomicInteger loads = new AtomicInteger();
    final boolean seeded;
    volatile CountDownLatch gate;

    CountingSource(boolean seeded) { this.seeded = seeded; }

    @Override public String name() { return seeded ? "seeded" : "fixed"; }
    @Override public void validate(Config dataset) {}
    @Override public boolean dependsOnSeed() { return seeded; }

    @Override
    public MultimodalDataset load(Config dataset, long seed) {
      loads.incrementAndGet();
      if (dataset.hasPath("fail")) throw new DataException("broken file");
      CountDownLatch g = gate;
      if (g != null) {
        try {
          g.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return MultimodalDataset.classification("c", Map.of("x", Nd4j.zeros(2, 1)), new int[] {0, 1}, 2,
          new int[] {0}, new int[] {1});
    }
  }

  private final CountingSource fixed = new CountingSource(false);
  private final CountingSource seeded = new CountingSource(true);

  private DatasetCache cache(int capacity) {
    return new DatasetCache(capacity, n -> n.equals("seeded") ? seeded : fixed);
  }

  private static Config ds(String hocon) {
    return ConfigFactory.parseString(hocon);
  }

  @Test
  void concurrentRequestsForOneKeyLoadOnce() throws Exception {
    DatasetCache cache = cache(8);
    fixed.gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<MultimodalDataset>> fs = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        long seed = i;
        // same block written in another key order: the same key
        String text = i % 2 == 0 ? "source = fixed, a = 1, b = [x]" : "b = [x]\nsource = fixed\na = 1";
        fs.add(pool.submit(() -> cache.get(ds(text), seed)));
      }
      Thread.sleep(200);
      fixed.gate.countDown();
      MultimodalDataset first = fs.get(0).get(10, TimeUnit.SECONDS);
      for (Future<MultimodalDataset> f : fs) assertSame(first, f.get(10, TimeUnit.SECONDS));
      assertEquals(1, fixed.loads.get());
      assertEquals(1, cache.loads());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theSeedIsPartOfTheKeyOnlyForSeededSources() {
    DatasetCache cache = cache(8);
    MultimodalDataset a = cache.get(ds("source = seeded, w = 0.5"), 1);
    assertSame(a, cache.get(ds("source = seeded, w = 0.5"), 1));
    assertNotSame(a, cache.get(ds("source = seeded, w = 0.5"), 2));
    assertNotSame(a, cache.get(ds("source = seeded, w = 0.8"), 1));
    assertEquals(3, seeded.loads.get());
    MultimodalDataset f = cache.get(ds("source = fixed"), 1);
    assertSame(f, cache.get(ds("source = fixed"), 2));
    assertEquals(1, fixed.loads.get());
  }

  @Test
  void boundedLeastRecentlyUsedFirstOut() {
    DatasetCache cache = cache(2);
    MultimodalDataset one = cache.get(ds("source = seeded"), 1);
    cache.get(ds("source = seeded"), 2);
    assertSame(one, cache.get(ds("source = seeded"), 1)); // 1 is now the most recent
    cache.get(ds("source = seeded"), 3);                  // evicts 2
    assertEquals(2, cache.size());
    assertSame(one, cache.get(ds("source = seeded"), 1));
    assertEquals(3, seeded.loads.get());
    cache.get(ds("source = seeded"), 2);
    assertEquals(4, seeded.loads.get());
  }

  @Test
  void aFailedLoadIsNotKept() {
    DatasetCache cache = cache(4);
    DataException e = assertThrows(DataException.class, () -> cache.get(ds("source = fixed, fail = 1"), 0));
    assertEquals("broken file", e.getMessage());
    assertEquals(0, cache.size());
    assertThrows(DataException.class, () -> cache.get(ds("source = fixed, fail = 1"), 0));
    assertEquals(2, fixed.loads.get());
  }

  @Test
  void realSourcesThroughTheSharedCache() {
    Config exp = ConfigFactory.parseString(
        "dataset { source = synthetic-overlap, shared-dim = 2, unique-dim = 2, train-rows = 20, test-rows = 5 }");
    Config d = DatasetSources.resolve(exp);
    DatasetCache cache = new DatasetCache(DatasetCache.DEFAULT_CAPACITY);
    MultimodalDataset a = cache.get(d, 4);
    assertSame(a, cache.get(DatasetSources.resolve(exp), 4));
    assertEquals(25, a.rows());
    assertSame(DatasetCache.shared(), DatasetCache.shared());
  }
}

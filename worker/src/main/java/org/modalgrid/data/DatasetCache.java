package org.modalgrid.data;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A bounded, thread-safe cache of loaded datasets, so that the runs of an experiment in one JVM
 * load (or generate) each dataset once. The key is the source name and the canonical text of the
 * resolved dataset block, plus the seed for sources whose data depends on it.
 *
 * <p>Concurrent requests for one key load once: the first caller loads on its own thread, the
 * others wait for its result. A failed load is not kept, so a fixed file can be retried. At most
 * {@code capacity} datasets are kept, least recently used first out. Cached datasets are shared:
 * treat their arrays as read-only ({@link Standardizer#apply} returns new arrays).
 */
public final class DatasetCache {

  public static final int DEFAULT_CAPACITY = 8;
  private static final DatasetCache SHARED = new DatasetCache(DEFAULT_CAPACITY);

  private final int capacity;
  private final Function<String, DatasetSource> sources;
  private final LinkedHashMap<String, CompletableFuture<MultimodalDataset>> entries;
  private final AtomicLong loads = new AtomicLong();

  /** A process-wide cache of {@value #DEFAULT_CAPACITY} datasets. */
  public static DatasetCache shared() { return SHARED; }

  public DatasetCache(int capacity) {
    this(capacity, DatasetSources::forName);
  }

  /** With a source registry of one's own (tests). */
  public DatasetCache(int capacity, Function<String, DatasetSource> sources) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    this.capacity = capacity;
    this.sources = sources;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<MultimodalDataset>> eldest) {
        return size() > DatasetCache.this.capacity;
      }
    };
  }

  /** The cache key of a resolved dataset block and seed. */
  public static String key(DatasetSource source, Config dataset, long seed) {
    String k = source.name() + " " + DatasetSources.canonical(dataset);
    return source.dependsOnSeed() ? k + " seed=" + seed : k;
  }

  /**
   * The dataset of a resolved {@code dataset} block (see {@link DatasetSources#resolve}) and a
   * run's seed, loading it on this thread when no other caller has.
   */
  public MultimodalDataset get(Config dataset, long seed) {
    if (!dataset.hasPath("source")) throw new DataException("dataset.source: missing");
    DatasetSource source = sources.apply(dataset.getString("source"));
    String key = key(source, dataset, seed);
    CompletableFuture<MultimodalDataset> f;
    boolean owner = false;
    synchronized (entries) {
      f = entries.get(key);
      if (f == null) {
        f = new CompletableFuture<>();
        entries.put(key, f);
        owner = true;
      }
    }
    if (owner) {
      try {
        loads.incrementAndGet();
        MultimodalDataset ds = source.load(dataset, seed);
        f.complete(ds);
        return ds;
      } catch (RuntimeException | Error e) {
        f.completeExceptionally(e);
        synchronized (entries) {
          entries.remove(key, f);
        }
        throw e;
      }
    }
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof DataException d) throw new DataException(d.getMessage(), d);
      if (c instanceof RuntimeException r) throw r;
      if (c instanceof Error err) throw err;
      throw e;
    }
  }

  /** Datasets held (loaded or loading). */
  public int size() {
    synchronized (entries) {
      return entries.size();
    }
  }

  /** How many loads this cache has started (cache misses). */
  public long loads() { return loads.get(); }

  public int capacity() { return capacity; }

  public void clear() {
    synchronized (entries) {
      entries.clear();
    }
  }
}

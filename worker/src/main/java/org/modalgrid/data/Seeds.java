package org.modalgrid.data;

/**
 * Derives independent, well-mixed seeds from a base seed and a stream id (SplitMix64's finalizer),
 * so that each random stream of a source (parameters, training rows, test rows, fresh rows, a
 * class's shuffle) is reproducible on its own and unaffected by how much another stream draws.
 */
public final class Seeds {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private Seeds() {}

  /** A seed for stream {@code stream} of base seed {@code seed}; different streams give unrelated seeds. */
  public static long mix(long seed, long stream) {
    return fmix(fmix(seed + GOLDEN) ^ (stream * GOLDEN + 0x632BE59BD9B4E019L));
  }

  private static long fmix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}

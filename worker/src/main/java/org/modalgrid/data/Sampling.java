package org.modalgrid.data;

import java.util.Arrays;
import java.util.Random;
import java.util.TreeMap;

/**
 * Deterministic row sampling (PAPER.md 3.4): the training sample of a (fraction, seed) and the
 * train/test split of a dataset. Results depend only on the set of rows, the labels, the fraction
 * and the seed, so every modality subset trained at one (fraction, seed) sees the same rows.
 *
 * <p>Within a class, rows are taken in the order of a shuffle seeded by (seed, class), so for a
 * fixed seed a larger fraction takes (nearly always) a superset of a smaller one's rows.
 */
public final class Sampling {

  private Sampling() {}

  /** Train/test row indices, each sorted ascending. */
  public record Split(int[] train, int[] test) {}

  /**
   * The sample size for a fraction: ⌈f·n⌉, at least one row (at most n). A product that is an
   * integer up to floating-point rounding (0.1 · 5810) is not rounded up past it.
   */
  public static int sampleSize(int n, double fraction) {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
    }
    if (n <= 0) throw new IllegalArgumentException("no rows to sample from");
    double p = fraction * n;
    long m = (long) Math.ceil(p - 1e-9 * Math.max(1.0, p));
    return (int) Math.max(1, Math.min(n, m));
  }

  /**
   * ⌈f·n⌉ rows (at least one) of {@code rows}, class-stratified when labels are given, sorted.
   *
   * @param rows         the rows to sample from (e.g. the training split); order is irrelevant
   * @param labelsOrNull class index per row number ({@code labels[r]} for r in rows), i.e. the
   *                     dataset's {@link MultimodalDataset#labels()}; null for a plain random sample
   * @param fraction     in (0, 1]
   * @param seed         the same seed gives the same rows
   */
  public static int[] stratifiedSample(int[] rows, int[] labelsOrNull, double fraction, long seed) {
    return sample(rows, labelsOrNull, sampleSize(rows.length, fraction), seed);
  }

  /**
   * Exactly {@code count} rows of {@code rows}, class-stratified when labels are given: each class
   * gets the floor of its proportional share m·n_c/n, and the rows left over go, one each, to the
   * classes with the largest remainders (ties: the larger class, then the smaller class index).
   * Returned sorted ascending.
   */
  public static int[] sample(int[] rows, int[] labelsOrNull, int count, long seed) {
    int n = rows.length;
    if (count < 0 || count > n) {
      throw new IllegalArgumentException("cannot take " + count + " of " + n + " rows");
    }
    int[] sorted = rows.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < n; i++) {
      if (sorted[i] == sorted[i - 1]) throw new IllegalArgumentException("row " + sorted[i] + " is listed twice");
    }
    if (labelsOrNull == null) {
      int[] out = takeShuffled(sorted, count, Seeds.mix(seed, -1L));
      Arrays.sort(out);
      return out;
    }
    TreeMap<Integer, int[]> byClass = groupByClass(sorted, labelsOrNull);
    int k = byClass.size();
    int[] label = new int[k];
    int[][] members = new int[k][];
    int i = 0;
    for (var e : byClass.entrySet()) {
      label[i] = e.getKey();
      members[i] = e.getValue();
      i++;
    }
    long[] take = new long[k];
    long[] remainder = new long[k];
    long assigned = 0;
    for (int c = 0; c < k; c++) {
      long prod = (long) count * members[c].length;
      take[c] = prod / n;
      remainder[c] = prod % n;
      assigned += take[c];
    }
    Integer[] order = new Integer[k];
    for (int c = 0; c < k; c++) order[c] = c;
    Arrays.sort(order, (a, b) -> {
      if (remainder[a] != remainder[b]) return Long.compare(remainder[b], remainder[a]);
      if (members[a].length != members[b].length) return Integer.compare(members[b].length, members[a].length);
      return Integer.compare(label[a], label[b]);
    });
    for (int j = 0; assigned < count; j++, assigned++) take[order[j]]++;
    int[] out = new int[count];
    int pos = 0;
    for (int c = 0; c < k; c++) {
      int[] picked = takeShuffled(members[c], (int) take[c], Seeds.mix(seed, label[c]));
      System.arraycopy(picked, 0, out, pos, picked.length);
      pos += picked.length;
    }
    Arrays.sort(out);
    return out;
  }

  /**
   * Splits rows 0..n-1 into train and test: a class-stratified (labels given) or random test set of
   * ⌈testFraction·n⌉ rows, the rest for training. Both sorted. Either may be empty for tiny n; the
   * caller reports that with its own keys.
   */
  public static Split stratifiedSplit(int n, int[] labelsOrNull, double testFraction, long seed) {
    int[] all = MultimodalDataset.range(0, n);
    int[] test = stratifiedSample(all, labelsOrNull, testFraction, seed);
    return new Split(complement(n, test), test);
  }

  /** Rows 0..n-1 not in {@code sortedRows}, ascending. */
  static int[] complement(int n, int[] sortedRows) {
    boolean[] in = new boolean[n];
    for (int r : sortedRows) in[r] = true;
    int[] out = new int[n - sortedRows.length];
    int p = 0;
    for (int r = 0; r < n; r++) if (!in[r]) out[p++] = r;
    return out;
  }

  private static TreeMap<Integer, int[]> groupByClass(int[] sortedRows, int[] labels) {
    TreeMap<Integer, Integer> counts = new TreeMap<>();
    for (int r : sortedRows) {
      if (r < 0 || r >= labels.length) {
        throw new IllegalArgumentException("row " + r + " has no label (" + labels.length + " labels)");
      }
      counts.merge(labels[r], 1, Integer::sum);
    }
    TreeMap<Integer, int[]> groups = new TreeMap<>();
    TreeMap<Integer, Integer> fill = new TreeMap<>();
    counts.forEach((c, m) -> {
      groups.put(c, new int[m]);
      fill.put(c, 0);
    });
    for (int r : sortedRows) {
      int c = labels[r];
      int p = fill.get(c);
      groups.get(c)[p] = r;
      fill.put(c, p + 1);
    }
    return groups;
  }

  /** The first {@code count} elements of a seeded Fisher-Yates shuffle of {@code rows}. */
  private static int[] takeShuffled(int[] rows, int count, long seed) {
    int[] a = rows.clone();
    Random rnd = new Random(seed);
    for (int i = 0; i < count; i++) {
      int j = i + rnd.nextInt(a.length - i);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return Arrays.copyOf(a, count);
  }
}

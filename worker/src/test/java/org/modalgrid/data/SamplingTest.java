package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplingTest {

  /** Labels of rows 0..total-1: classes 0, 1, 2 in proportions 50%, 30%, 20%. */
  private static int[] labels(int total) {
    int[] y = new int[total];
    for (int i = 0; i < total; i++) y[i] = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
    return y;
  }

  @Test
  void sizeIsCeilingOfFractionTimesRowsAndAtLeastOne() {
    assertEquals(581, Sampling.sampleSize(5810, 0.1));
    assertEquals(59, Sampling.sampleSize(5810, 0.01));
    assertEquals(1, Sampling.sampleSize(5810, 1e-4));
    assertEquals(1, Sampling.sampleSize(10, 1e-9));
    assertEquals(4, Sampling.sampleSize(10, 0.31));
    assertEquals(10, Sampling.sampleSize(10, 1.0));
    assertEquals(1000, Sampling.sampleSize(2000, 0.5));
    assertThrows(IllegalArgumentException.class, () -> Sampling.sampleSize(10, 0));
    assertThrows(IllegalArgumentException.class, () -> Sampling.sampleSize(10, 1.5));
    int[] rows = MultimodalDataset.range(0, 5810);
    assertEquals(581, Sampling.stratifiedSample(rows, null, 0.1, 1).length);
    assertEquals(1, Sampling.stratifiedSample(rows, labels(5810), 1e-4, 1).length);
  }

  @Test
  void classProportionsFollowTheLargestRemainder() {
    int[] y = labels(1000);               // 500 / 300 / 200
    int[] rows = MultimodalDataset.range(0, 1000);
    int[] s = Sampling.stratifiedSample(rows, y, 0.013, 4); // 13 rows: quotas 6.5 / 3.9 / 2.6
    assertEquals(13, s.length);
    int[] count = new int[3];
    for (int r : s) count[y[r]]++;
    // floors 6, 3, 2 = 11; the two left over go to the largest remainders: 0.9 (class 1), 0.6 (class 2)
    assertArrayEquals(new int[] {6, 4, 3}, count);
    int[] big = Sampling.stratifiedSample(rows, y, 0.4, 4);
    int[] c2 = new int[3];
    for (int r : big) c2[y[r]]++;
    assertArrayEquals(new int[] {200, 120, 80}, c2);
  }

  @Test
  void deterministicSortedSubsetOfTheGivenRows() {
    int[] y = labels(3000);
    int[] rows = new int[1500];
    for (int i = 0; i < rows.length; i++) rows[i] = 2 * i + 1; // odd rows only
    int[] a = Sampling.stratifiedSample(rows, y, 0.1, 42);
    int[] b = Sampling.stratifiedSample(reverse(rows), y, 0.1, 42);
    int[] c = Sampling.stratifiedSample(rows, y, 0.1, 43);
    assertArrayEquals(a, b, "same rows for the same seed, whatever the input order");
    assertFalse(Arrays.equals(a, c), "another seed, other rows");
    Set<Integer> allowed = new HashSet<>();
    for (int r : rows) allowed.add(r);
    for (int i = 0; i < a.length; i++) {
      assertTrue(allowed.contains(a[i]));
      if (i > 0) assertTrue(a[i] > a[i - 1], "sorted, no repeats");
    }
    int[] u1 = Sampling.stratifiedSample(rows, null, 0.2, 7);
    assertArrayEquals(u1, Sampling.stratifiedSample(rows, null, 0.2, 7));
    assertEquals(300, u1.length);
    // a larger fraction with the same seed takes the smaller one's rows (per-class shuffle prefixes)
    Set<Integer> small = new HashSet<>();
    for (int r : Sampling.stratifiedSample(rows, y, 0.1, 42)) small.add(r);
    Set<Integer> large = new HashSet<>();
    for (int r : Sampling.stratifiedSample(rows, y, 0.5, 42)) large.add(r);
    assertTrue(large.containsAll(small));
  }

  @Test
  void splitIsStratifiedDisjointAndComplete() {
    int[] y = labels(2000);
    Sampling.Split s = Sampling.stratifiedSplit(2000, y, 0.25, 0);
    assertEquals(500, s.test().length);
    assertEquals(1500, s.train().length);
    int[] count = new int[3];
    for (int r : s.test()) count[y[r]]++;
    assertArrayEquals(new int[] {250, 150, 100}, count);
    boolean[] seen = new boolean[2000];
    for (int r : s.train()) seen[r] = true;
    for (int r : s.test()) {
      assertFalse(seen[r]);
      seen[r] = true;
    }
    for (boolean b : seen) assertTrue(b);
    assertArrayEquals(s.test(), Sampling.stratifiedSplit(2000, y, 0.25, 0).test());
  }

  @Test
  void repeatedRowsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Sampling.stratifiedSample(new int[] {1, 2, 2}, null, 0.5, 0));
  }

  private static int[] reverse(int[] a) {
    int[] r = new int[a.length];
    for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
    return r;
  }
}

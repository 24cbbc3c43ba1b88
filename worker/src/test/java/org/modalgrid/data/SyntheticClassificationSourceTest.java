package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class SyntheticClassificationSourceTest {

  private final SyntheticClassificationSource source = new SyntheticClassificationSource();

  @Test
  void defaultsAreIemocapShapedBalancedAndIndependentOfTheRunSeed() {
    Config cfg = TestSupport.dataset("synthetic-classification", "");
    MultimodalDataset a = source.load(cfg, 1);
    assertEquals(List.of("text", "audio", "video"), a.modalities());
    assertEquals(100, a.dim("text"));
    assertEquals(100, a.dim("audio"));
    assertEquals(512, a.dim("video"));
    assertEquals(6, a.numClasses());
    assertEquals(5810, a.trainRows().length);
    assertEquals(1623, a.testRows().length);
    assertEquals(DataType.FLOAT, a.features("video").dataType());
    assertEquals('c', a.features("video").ordering());
    for (int[] rows : new int[][] {a.trainRows(), a.testRows()}) {
      int[] c = a.classCounts(rows);
      int min = Integer.MAX_VALUE;
      int max = 0;
      for (int v : c) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assertTrue(max - min <= 1, "balanced classes");
    }
    MultimodalDataset b = source.load(cfg, 2);
    assertTrue(!source.dependsOnSeed());
    assertArrayEquals(a.labels(), b.labels());
    assertEquals(a.features("audio"), b.features("audio"));
  }

  @Test
  void moreSignalMeansHigherAccuracyAndCombiningHelps() {
    Config cfg = TestSupport.dataset("synthetic-classification", """
        train-rows = 1200, test-rows = 1200, classes = 6
        modalities = [
          { name = strong, dim = 50, signal = 2.0 }
          { name = weak, dim = 50, signal = 0.6 }
          { name = middle, dim = 120, signal = 1.2 }
        ]""");
    MultimodalDataset ds = source.load(cfg, 0);
    double strong = nearestMeanAccuracy(ds, List.of("strong"));
    double middle = nearestMeanAccuracy(ds, List.of("middle"));
    double weak = nearestMeanAccuracy(ds, List.of("weak"));
    double all = nearestMeanAccuracy(ds, List.of("strong", "weak", "middle"));
    assertTrue(strong > middle + 0.05, "strong " + strong + " vs middle " + middle);
    assertTrue(middle > weak + 0.05, "middle " + middle + " vs weak " + weak);
    assertTrue(weak > 1.0 / 6 + 0.03, "weak " + weak + " above chance");
    assertTrue(all > strong + 0.02, "all " + all + " vs strong " + strong);
  }

  @Test
  void aModalitysValuesDependOnlyOnItsOwnEntry() {
    MultimodalDataset three = source.load(TestSupport.dataset("synthetic-classification", """
        train-rows = 60, test-rows = 30
        modalities = [{ name = a, dim = 5, signal = 1 }, { name = b, dim = 7, signal = 2 }]"""), 0);
    MultimodalDataset one = source.load(TestSupport.dataset("synthetic-classification", """
        train-rows = 60, test-rows = 30
        modalities = [{ name = b, dim = 7, signal = 2 }]"""), 0);
    assertEquals(three.features("b"), one.features("b"));
  }

  @Test
  void badModalityEntriesAreNamed() {
    DataException e = assertThrows(DataException.class, () -> source.validate(TestSupport.dataset(
        "synthetic-classification", "modalities = [{ name = a, dim = 5, signal = 1 }, { name = b, signal = 1 }]")));
    assertTrue(e.getMessage().startsWith("dataset.modalities[1].dim: missing"), e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(TestSupport.dataset(
        "synthetic-classification", "modalities = [{ name = a, dim = 5, signal = 1 }, { name = a, dim = 2, signal = 1 }]")));
    assertTrue(e.getMessage().startsWith("dataset.modalities[1].name: modality 'a' is listed twice"), e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(TestSupport.dataset(
        "synthetic-classification", "classes = 1")));
    assertTrue(e.getMessage().startsWith("dataset.classes: must be >= 2"), e.getMessage());
  }

  /** Nearest class mean (means from the training split) on the concatenated modalities; test accuracy. */
  private static double nearestMeanAccuracy(MultimodalDataset ds, List<String> modalities) {
    double[][][] x = new double[modalities.size()][][];
    for (int m = 0; m < x.length; m++) x[m] = TestSupport.rows(ds.features(modalities.get(m)));
    double[][] all = TestSupport.concat(false, x);
    int c = ds.numClasses();
    int d = all[0].length;
    double[][] mean = new double[c][d];
    int[] count = new int[c];
    for (int r : ds.trainRows()) {
      int y = ds.labels()[r];
      count[y]++;
      for (int j = 0; j < d; j++) mean[y][j] += all[r][j];
    }
    for (int k = 0; k < c; k++) for (int j = 0; j < d; j++) mean[k][j] /= count[k];
    int correct = 0;
    for (int r : ds.testRows()) {
      int best = -1;
      double bestDist = Double.MAX_VALUE;
      for (int k = 0; k < c; k++) {
        double dist = 0;
        for (int j = 0; j < d; j++) dist += (all[r][j] - mean[k][j]) * (all[r][j] - mean[k][j]);
        if (dist < bestDist) {
          bestDist = dist;
          best = k;
        }
      }
      if (best == ds.labels()[r]) correct++;
    }
    return correct / (double) ds.testRows().length;
  }
}

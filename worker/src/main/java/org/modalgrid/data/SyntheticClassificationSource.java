package org.modalgrid.data;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An IEMOCAP-shaped stand-in ({@code synthetic-classification}): C classes, named modalities of
 * given dimensions, each with its own {@code signal}.
 *
 * <pre>
 * labels: balanced (row i of a split has class i mod C, then shuffled), training and test alike
 * per modality k (dimension d): class means μ_c^k = (signal_k / √d)·g_c^k,  g_c^k ~ N(0, I_d)
 *                              x^(k) = μ_y^k + z,  z ~ N(0, I_d), independent across modalities
 * </pre>
 *
 * The distance between two class means is about √2·signal whatever d is, so a modality alone is
 * more accurate the larger its signal; given the class the modalities' noises are independent,
 * so the squared mean separations add up when modalities are combined and every added modality
 * helps the Bayes classifier (while, with few rows, a wide weak modality mostly adds variance).
 *
 * <p>Everything comes from {@code data-seed}, never from the run's seed, so every run of an
 * experiment sees the same data. Each modality draws from its own stream, keyed by its name:
 * adding, removing or reordering other modalities leaves its values unchanged.
 */
public final class SyntheticClassificationSource implements DatasetSource {

  public static final String NAME = "synthetic-classification";
  static final Set<String> KEYS = Set.of("source", "classes", "train-rows", "test-rows", "modalities", "data-seed");

  private static final long STREAM_TRAIN_LABELS = 0x1ab1;
  private static final long STREAM_TEST_LABELS = 0x1ab2;
  private static final long STREAM_MEANS = 1;
  private static final long STREAM_TRAIN_NOISE = 2;
  private static final long STREAM_TEST_NOISE = 3;

  public record Modality(String name, int dim, double signal) {}

  public record Params(int classes, int trainRows, int testRows, List<Modality> modalities, long dataSeed) {

    public static Params from(Config dataset) {
      DatasetKeys k = new DatasetKeys(dataset, NAME);
      k.onlyKnown(KEYS);
      int classes = k.intAtLeast("classes", 2);
      int train = k.intAtLeast("train-rows", 1);
      int test = k.intAtLeast("test-rows", 1);
      long seed = k.longValue("data-seed");
      List<? extends Config> list = k.configList("modalities",
          "a list of modalities such as [{ name = text, dim = 100, signal = 1.6 }]");
      if (list.isEmpty()) throw k.bad("modalities", "empty; give at least one { name, dim, signal }");
      List<Modality> mods = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < list.size(); i++) {
        String at = "modalities[" + i + "]";
        DatasetKeys m = new DatasetKeys(list.get(i), NAME, "dataset." + at + ".");
        m.onlyKnown(Set.of("name", "dim", "signal"));
        String name = m.string("name");
        if (!DatasetKeys.validName(name)) {
          throw m.bad("name", "'" + name + "' is not a valid name; use letters, digits, '_', '-' or '.'");
        }
        if (!seen.add(name)) throw m.bad("name", "modality '" + name + "' is listed twice");
        int dim = m.intAtLeast("dim", 1);
        double signal = m.doubleValue("signal");
        if (signal < 0) throw m.bad("signal", "must be >= 0, got " + signal);
        mods.add(new Modality(name, dim, signal));
      }
      long total = 0;
      for (Modality m : mods) total = Math.max(total, ((long) train + test) * m.dim());
      if (total > Integer.MAX_VALUE - 16) throw k.bad("train-rows", "too many values for one modality");
      return new Params(classes, train, test, List.copyOf(mods), seed);
    }
  }

  @Override
  public String name() { return NAME; }

  @Override
  public void validate(Config dataset) { Params.from(dataset); }

  @Override
  public boolean dependsOnSeed() { return false; }

  /** Generates the data from {@code data-seed}; the run's seed is ignored. */
  @Override
  public MultimodalDataset load(Config dataset, long seed) {
    return generate(Params.from(dataset));
  }

  public static MultimodalDataset generate(Params p) {
    int n = p.trainRows() + p.testRows();
    int[] labels = new int[n];
    balancedLabels(labels, 0, p.trainRows(), p.classes(), new Random(Seeds.mix(p.dataSeed(), STREAM_TRAIN_LABELS)));
    balancedLabels(labels, p.trainRows(), p.testRows(), p.classes(), new Random(Seeds.mix(p.dataSeed(), STREAM_TEST_LABELS)));
    Map<String, INDArray> features = new LinkedHashMap<>();
    for (Modality m : p.modalities()) {
      long base = Seeds.mix(p.dataSeed(), m.name().hashCode());
      int d = m.dim();
      double scale = m.signal() / Math.sqrt(d);
      double[] means = new double[p.classes() * d];
      Random rm = new Random(Seeds.mix(base, STREAM_MEANS));
      for (int i = 0; i < means.length; i++) means[i] = scale * rm.nextGaussian();
      float[] x = new float[n * d];
      fill(x, labels, means, d, 0, p.trainRows(), new Random(Seeds.mix(base, STREAM_TRAIN_NOISE)));
      fill(x, labels, means, d, p.trainRows(), p.testRows(), new Random(Seeds.mix(base, STREAM_TEST_NOISE)));
      features.put(m.name(), Nd4j.create(x, new long[] {n, d}, 'c'));
    }
    return MultimodalDataset.classification(NAME, features, labels, p.classes(),
        MultimodalDataset.range(0, p.trainRows()), MultimodalDataset.range(p.trainRows(), n));
  }

  private static void fill(float[] x, int[] labels, double[] means, int d, int from, int rows, Random rnd) {
    for (int i = from; i < from + rows; i++) {
      int mo = labels[i] * d;
      int o = i * d;
      for (int j = 0; j < d; j++) x[o + j] = (float) (means[mo + j] + rnd.nextGaussian());
    }
  }

  private static void balancedLabels(int[] labels, int from, int rows, int classes, Random rnd) {
    for (int i = 0; i < rows; i++) labels[from + i] = i % classes;
    for (int i = rows - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = labels[from + i];
      labels[from + i] = labels[from + j];
      labels[from + j] = t;
    }
  }
}

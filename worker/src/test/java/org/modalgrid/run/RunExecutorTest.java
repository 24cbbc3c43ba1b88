package org.modalgrid.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.modalgrid.data.DataException;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.latent.ProbeSpec;
import org.modalgrid.model.LateFusionTrainer;
import org.modalgrid.model.ModelSpec;
import org.modalgrid.model.TrainSpec;
import org.modalgrid.model.Trainer;
import org.modalgrid.model.TrainingData;
import org.modalgrid.model.TrainingListener;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;

class RunExecutorTest {

  static Map<String, Object> dataset(String hocon) {
    Config defaults = ConfigFactory.parseResources("experiment-defaults.conf");
    Config ds = ConfigFactory.parseString(hocon);
    return ds.withFallback(defaults.getConfig("dataset-defaults." + ds.getString("source"))).root().unwrapped();
  }

  static final Map<String, Object> CLASSES = dataset("""
      source = synthetic-classification, classes = 3, train-rows = 240, test-rows = 120
      modalities = [ { name = a, dim = 6, signal = 2.0 }, { name = b, dim = 5, signal = 1.0 } ]
      """);

  static final TrainSpec TRAIN = new TrainSpec(20, 64, 0.01, 0.9, 0.999, 1e-8, 0, 10, true);
  static final ProbeSpec PROBE = new ProbeSpec(2, 1e-3, 200, 1e-6, 4000, 4000, 1e-6);

  static RunSpec spec(List<String> subset, double fraction, int seed, Map<String, Object> dataset) {
    return new RunSpec("r-test", "e-test", new Cell(subset, fraction, seed, Map.of()), dataset, ModelSpec.linear(8),
        TRAIN, PROBE, false);
  }

  /** Records what the trainer was given, then trains for real. */
  static final class Recording implements Trainer {
    final List<TrainingData> seen = new ArrayList<>();
    final Trainer real = new LateFusionTrainer();

    @Override
    public TrainResult train(TrainingData data, ModelSpec model, TrainSpec spec, long seed, TrainingListener listener) {
      seen.add(data);
      return real.train(data, model, spec, seed, listener);
    }
  }

  @Test
  void subsetsOfACellTrainOnTheSameSampleStandardizedByItsOwnStatistics() {
    Recording trainer = new Recording();
    RunExecutor ex = new RunExecutor(new DatasetCache(2), trainer);
    RunResult single = ex.execute(spec(List.of("a"), 0.25, 3, CLASSES), TrainingListener.NONE);
    RunResult both = ex.execute(spec(List.of("a", "b"), 0.25, 3, CLASSES), TrainingListener.NONE);
    ex.execute(spec(List.of("a"), 0.25, 4, CLASSES), TrainingListener.NONE);
    TrainingData d1 = trainer.seen.get(0);
    TrainingData d2 = trainer.seen.get(1);
    TrainingData d3 = trainer.seen.get(2);
    assertEquals(60, single.trainRows(), "ceil(0.25 * 240)");
    assertEquals(60, both.trainRows());
    assertArrayEquals(d1.trainLabels(), d2.trainLabels(), "same rows S for every subset at (fraction, seed)");
    assertEquals(d1.trainX().get(0), d2.trainX().get(0), "modality a is identical in both runs");
    assertTrue(!d1.trainX().get(0).equals(d3.trainX().get(0)), "another seed draws another sample");
    // standardized with the sample's statistics: zero mean, unit variance per column
    double mean = d2.trainX().get(1).mean(0).amaxNumber().doubleValue();
    double std = d2.trainX().get(1).std(false, 0).getDouble(0);
    assertEquals(0.0, mean, 1e-5);
    assertEquals(1.0, std, 1e-4);
    // every class is in a stratified sample of 60 rows out of 3 balanced classes
    assertEquals(3, java.util.Arrays.stream(d1.trainLabels()).distinct().count());
    assertEquals(120, d1.testRows());
    assertTrue(both.metrics().get("accuracy") > 100.0 / 3);
    assertTrue(both.eta().get("eta_error") >= 0 && both.eta().get("eta_error") <= 100);
    assertEquals(20, both.history().size());
  }

  @Test
  void regressionEtaComesFromFreshGeneratorRowsAndTheOracleRisk() {
    Map<String, Object> overlap = dataset("""
        source = synthetic-overlap, modalities = 2, shared-dim = 5, unique-dim = 5, overlap = 0.0,
        noise = 0.5, train-rows = 2000, test-rows = 500
        """);
    RunExecutor ex = new RunExecutor(new DatasetCache(2), new LateFusionTrainer());
    TrainSpec train = new TrainSpec(80, 256, 0.01, 0.9, 0.999, 1e-8, 0, 20, true);
    RunSpec full = new RunSpec("r1", "e", new Cell(List.of("m1", "m2"), 1.0, 0, Map.of()), overlap, ModelSpec.linear(8),
        train, PROBE, false);
    RunResult r = ex.execute(full, TrainingListener.NONE);
    // with every modality the target is linear in the inputs: eta = probe MSE - sigma^2 ~ 0
    assertEquals(0.25, r.eta().get("probe_mse") - r.eta().get("eta"), 1e-9, "the oracle risk is sigma^2");
    assertEquals(0.0, r.eta().get("eta"), 0.05);
    RunSpec one = new RunSpec("r2", "e", new Cell(List.of("m1"), 1.0, 0, Map.of()), overlap, ModelSpec.linear(8),
        train, PROBE, false);
    double expected = org.modalgrid.data.SyntheticOverlapSource.populationEta(ConfigFactory.parseMap(overlap), 0, List.of("m1"));
    double eta = ex.execute(one, TrainingListener.NONE).eta().get("eta");
    assertEquals(expected, eta, 0.1 * expected, "eta of {m1} is the unique part of m2 that it misses");
  }

  @Test
  void aSubsetNamingAMissingModalityIsADataError() {
    RunExecutor ex = new RunExecutor(new DatasetCache(2), new LateFusionTrainer());
    DataException e = assertThrows(DataException.class,
        () -> ex.execute(spec(List.of("z"), 1.0, 0, CLASSES), TrainingListener.NONE));
    assertTrue(e.getMessage().contains("'z'"), e.getMessage());
  }
}

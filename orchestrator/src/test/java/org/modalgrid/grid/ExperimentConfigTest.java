package org.modalgrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ExperimentConfigTest {

  public static final String BASE = """
      experiment { name = t, seeds = 2, subsets = all, fractions = [1.0, 0.5] }
      dataset {
        source = synthetic-classification
        classes = 3
        modalities = [ { name = a, dim = 4, signal = 1.0 }, { name = b, dim = 3, signal = 0.5 } ]
      }
      """;

  static ExperimentConfig parse(String text, String... overrides) {
    return ExperimentConfig.parse("test.conf", text, List.of(overrides));
  }

  @Test
  void readsGridAndFallsBackToDocumentedDefaults() {
    ExperimentConfig c = parse(BASE);
    assertEquals(List.of(0, 1), c.grid().seeds());
    assertEquals(List.of(0.5, 1.0), c.grid().fractions(), "fractions are sorted");
    assertEquals("all", c.grid().subsetMode());
    assertEquals(128, c.model().latentDim());
    assertEquals(0.01, c.train().learningRate());
    assertEquals(5810, c.dataset().getInt("train-rows"), "source defaults fill the dataset block");
  }

  @Test
  void overridesApplyWithHoconValues() {
    ExperimentConfig c = parse(BASE, "experiment.seeds=[3, 7]", "train.epochs=5", "experiment.fractions=[0.25]");
    assertEquals(List.of(3, 7), c.grid().seeds());
    assertEquals(5, c.train().epochs());
    assertEquals(List.of(0.25), c.grid().fractions());
  }

  @Test
  void unknownKeyIsNamedWithASuggestion() {
    ConfigError e = assertThrows(ConfigError.class, () -> parse(BASE + "\ntrain.epoch = 3\n"));
    assertTrue(e.getMessage().contains("test.conf"), e.getMessage());
    assertTrue(e.getMessage().contains("train.epoch"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean 'train.epochs'"), e.getMessage());
  }

  @Test
  void unknownDatasetKeyNamesTheSource() {
    ConfigError e = assertThrows(ConfigError.class, () -> parse(BASE + "\ndataset.train-row = 3\n"));
    assertTrue(e.getMessage().contains("dataset.train-row"), e.getMessage());
    assertTrue(e.getMessage().contains("synthetic-classification"), e.getMessage());
  }

  @Test
  void unknownSourceListsTheKnownOnes() {
    ConfigError e = assertThrows(ConfigError.class, () -> parse("dataset.source = nope\n"));
    assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("mfeat"), e.getMessage());
  }

  @Test
  void wrongTypeNamesTheKey() {
    ConfigError e = assertThrows(ConfigError.class, () -> parse(BASE, "train.epochs=many"));
    assertTrue(e.getMessage().contains("epochs"), e.getMessage());
  }

  @Test
  void badValuesAreRefused() {
    assertTrue(assertThrows(ConfigError.class, () -> parse(BASE, "experiment.fractions=[0, 1]"))
        .getMessage().contains("(0, 1]"));
    assertTrue(assertThrows(ConfigError.class, () -> parse(BASE, "experiment.subsets=some"))
        .getMessage().contains("experiment.subsets"));
    assertTrue(assertThrows(ConfigError.class, () -> parse(BASE, "train.learning-rate=-1"))
        .getMessage().contains("train.learning-rate"));
    assertTrue(assertThrows(ConfigError.class, () -> parse(BASE, "experiment.seeds=0"))
        .getMessage().contains("experiment.seeds"));
    assertTrue(assertThrows(ConfigError.class, () -> parse(BASE, "experiment.name=\"a b\""))
        .getMessage().contains("experiment.name"));
  }

  @Test
  void axisMustNameADatasetKey() {
    ConfigError e = assertThrows(ConfigError.class, () -> parse(BASE, "experiment.axes.nosuch=[1, 2]"));
    assertTrue(e.getMessage().contains("experiment.axes.nosuch"), e.getMessage());
  }

  @Test
  void malformedOverrideIsRefused() {
    ConfigError e = assertThrows(ConfigError.class, () -> parse(BASE, "experiment.seeds"));
    assertTrue(e.getMessage().contains("key=value"), e.getMessage());
  }

  @Test
  void missingFileAndSyntaxErrorsNameTheFile(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("none.conf");
    assertTrue(assertThrows(ConfigError.class, () -> ExperimentConfig.load(missing, List.of()))
        .getMessage().contains("none.conf"));
    Path bad = dir.resolve("bad.conf");
    Files.writeString(bad, "experiment {\n  name = x\n  seeds = [1,\n");
    ConfigError e = assertThrows(ConfigError.class, () -> ExperimentConfig.load(bad, List.of()));
    assertTrue(e.getMessage().contains("bad.conf"), e.getMessage());
  }

  @Test
  void datasetForSubstitutesAxisValues() {
    ExperimentConfig c = parse(BASE.replace("source = synthetic-classification", "source = synthetic-overlap")
        .replace("classes = 3\n", "").replaceAll("modalities = \\[.*\\]", "modalities = 2"),
        "experiment.axes.overlap=[0.5, 1]");
    assertEquals(0.5, c.datasetFor(Map.of("overlap", 0.5)).getDouble("overlap"));
    assertEquals(Map.of("overlap", List.of(0.5, 1)), c.grid().axes());
  }

  @Test
  void renderedConfigParsesBackToTheSameSettings() {
    ExperimentConfig c = parse(BASE, "train.epochs=7");
    ExperimentConfig again = parse(c.render());
    assertEquals(c.train(), again.train());
    assertEquals(c.grid(), again.grid());
    assertEquals(c.dataset().root().unwrapped(), again.dataset().root().unwrapped());
  }
}

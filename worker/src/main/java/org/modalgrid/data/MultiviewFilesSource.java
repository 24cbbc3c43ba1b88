package org.modalgrid.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The user's own features ({@code multiview-files}): a folder with one file per modality
 * ({@code .csv} with or without a header line, or {@code .npy}), a labels file (classification
 * class indices or regression targets; {@code .csv} with one value per row, optional header, or a
 * 1-D / n x 1 {@code .npy}) and an optional split file ({@code train}/{@code test} or 1/0 per row,
 * optional header). Without a split file: a class-stratified (classification) or random
 * (regression) test set of {@code test-fraction}, seeded by {@code split-seed}.
 *
 * <p>Row i of every file is the same sample. Bad data is refused with a {@link DataException}
 * naming the file, the line and data row, the column, the offending value and what was expected.
 */
public final class MultiviewFilesSource implements DatasetSource {

  public static final String NAME = "multiview-files";
  static final Set<String> KEYS =
      Set.of("source", "dir", "modalities", "labels", "task", "classes", "split", "test-fraction", "split-seed");
  /** Inferring more classes than this from max label + 1 is refused (labels must be class indices). */
  static final int MAX_INFERRED_CLASSES = 100_000;

  public record Modality(String name, String file) {}

  /**
   * The dataset keys, checked.
   *
   * @param classes 0: infer as max label + 1
   * @param split   split file name, or "" for a generated split
   */
  public record Params(Path dir, List<Modality> modalities, String labels, Task task, int classes,
                       String split, double testFraction, long splitSeed) {

    public static Params from(Config dataset) {
      DatasetKeys k = new DatasetKeys(dataset, NAME);
      k.onlyKnown(KEYS);
      String dir = k.string("dir");
      List<Modality> mods = modalities(k);
      String labels = k.string("labels");
      if (labels.isBlank()) throw k.bad("labels", "empty; name the file with one label or target per row");
      Task task;
      try {
        task = Task.parse(k.string("task"), "dataset.task");
      } catch (IllegalArgumentException e) {
        throw new DataException(e.getMessage());
      }
      int classes = k.intAtLeast("classes", 0);
      if (classes == 1) throw k.bad("classes", "must be 0 (infer) or at least 2, got 1");
      String split = k.string("split");
      double tf = k.doubleIn("test-fraction", 0, true, 1, true);
      long seed = k.longValue("split-seed");
      return new Params(Paths.get(dir.isBlank() ? "." : dir), mods, labels, task, classes, split.trim(), tf, seed);
    }

    private static List<Modality> modalities(DatasetKeys k) {
      ConfigValue v = k.raw("modalities");
      List<Modality> out = new ArrayList<>();
      if (v.valueType() == ConfigValueType.OBJECT) {
        // HOCON objects do not keep their key order: modalities are taken in name order.
        TreeMap<String, ConfigValue> sorted = new TreeMap<>(((ConfigObject) v));
        for (var e : sorted.entrySet()) {
          if (e.getValue().valueType() != ConfigValueType.STRING) {
            throw k.bad("modalities." + e.getKey(), "expected a file name, got " + e.getValue().render());
          }
          out.add(new Modality(e.getKey(), (String) e.getValue().unwrapped()));
        }
      } else if (v.valueType() == ConfigValueType.LIST) {
        List<? extends Config> list = k.configList("modalities",
            "a list such as [{ name = text, file = text.csv }] or an object { text = text.csv }");
        for (int i = 0; i < list.size(); i++) {
          DatasetKeys m = new DatasetKeys(list.get(i), NAME, "dataset.modalities[" + i + "].");
          m.onlyKnown(Set.of("name", "file"));
          out.add(new Modality(m.string("name"), m.string("file")));
        }
      } else {
        throw k.bad("modalities", "expected an object { text = text.csv, audio = audio.npy } or a list"
            + " [{ name = text, file = text.csv }], got " + v.render());
      }
      if (out.isEmpty()) {
        throw k.bad("modalities", "empty; name each modality's file, e.g. modalities { text = text.csv, audio = audio.npy }");
      }
      Set<String> seen = new HashSet<>();
      for (Modality m : out) {
        if (!DatasetKeys.validName(m.name())) {
          throw k.bad("modalities", "'" + m.name() + "' is not a valid modality name; use letters, digits, '_', '-' or '.'");
        }
        if (!seen.add(m.name())) throw k.bad("modalities", "modality '" + m.name() + "' is listed twice");
        if (m.file().isBlank()) throw k.bad("modalities." + m.name(), "empty file name");
      }
      return List.copyOf(out);
    }
  }

  @Override
  public String name() { return NAME; }

  @Override
  public void validate(Config dataset) { Params.from(dataset); }

  @Override
  public boolean dependsOnSeed() { return false; }

  @Override
  public MultimodalDataset load(Config dataset, long seed) {
    return load(Params.from(dataset));
  }

  public static MultimodalDataset load(Params p) {
    Path dir = p.dir();
    if (!Files.isDirectory(dir)) {
      throw new DataException("dataset.dir: folder not found: " + dir.toAbsolutePath().normalize()
          + " (relative paths are taken from the working directory); put one file per modality and the labels"
          + " there, or point to your folder with --set dataset.dir=DIR");
    }
    Map<String, INDArray> features = new LinkedHashMap<>();
    NumericFiles.Matrix first = null;
    String firstName = null;
    List<NumericFiles.Matrix> matrices = new ArrayList<>();
    for (Modality m : p.modalities()) {
      Path file = dir.resolve(m.file());
      NumericFiles.Matrix x = NumericFiles.readMatrix(file,
          NAME + ": modality '" + m.name() + "' (dataset.modalities." + m.name() + " = " + m.file() + ")");
      if (first == null) {
        first = x;
        firstName = m.name();
      } else if (x.rows() != first.rows()) {
        throw new DataException(NAME + ": modality '" + m.name() + "' (" + file + ") has " + x.rows()
            + " rows but modality '" + firstName + "' (" + first.file() + ") has " + first.rows() + " rows"
            + "; every file needs one row per sample, in the same order" + headerHint(first, x));
      }
      matrices.add(x);
    }
    int n = first.rows();
    Path labelsFile = dir.resolve(p.labels());
    NumericFiles.requireFile(labelsFile, NAME + ": labels (dataset.labels = " + p.labels() + ")");
    NumericFiles.Column y = readLabels(labelsFile, p.task() == Task.CLASSIFICATION);
    if (y.size() != n) {
      throw new DataException(NAME + ": " + labelsFile + " has " + y.size() + " labels but modality '" + firstName
          + "' (" + first.file() + ") has " + n + " rows; one label per row" + headerHint(first, null));
    }
    for (int i = 0; i < matrices.size(); i++) {
      NumericFiles.Matrix x = matrices.get(i);
      features.put(p.modalities().get(i).name(), Nd4j.create(x.data(), new long[] {x.rows(), x.cols()}, 'c'));
    }
    if (p.task() == Task.CLASSIFICATION) {
      int[] labels = new int[n];
      int classes = classLabels(y, p.classes(), labels);
      Sampling.Split split = split(p, dir, n, labels);
      return MultimodalDataset.classification(NAME, features, labels, classes, split.train(), split.test());
    }
    float[] targets = new float[n];
    for (int r = 0; r < n; r++) {
      double v = y.values()[r];
      if (Math.abs(v) > Float.MAX_VALUE) {
        throw new DataException(y.where(r) + ": target " + v + " is outside the range of a 32-bit float");
      }
      targets[r] = (float) v;
    }
    Sampling.Split split = split(p, dir, n, null);
    return MultimodalDataset.regression(NAME, features, targets, split.train(), split.test(), null, Double.NaN);
  }

  private static String headerHint(NumericFiles.Matrix a, NumericFiles.Matrix b) {
    for (NumericFiles.Matrix m : new NumericFiles.Matrix[] {a, b}) {
      if (m != null && m.columnNumbersFirstRow()) {
        return " (" + m.file() + " starts with the row 0, 1, 2, ..., read as data: a header line needs a"
            + " non-numeric cell such as f0, f1, ...)";
      }
    }
    return "";
  }

  private static NumericFiles.Column readLabels(Path file, boolean classification) {
    String expected = classification ? "a class index 0, 1, 2, ..." : "a real-valued target";
    if (NumericFiles.extension(file).equals("npy")) return NumericFiles.readNpyColumn(file);
    if (!NumericFiles.extension(file).equals("csv") && !NumericFiles.extension(file).equals("txt")) {
      throw new DataException("dataset.labels: " + file + " has an unsupported extension; expected .csv or .npy");
    }
    NumericFiles.Column t = NumericFiles.readTextColumn(file, "labels");
    double[] v = new double[t.size()];
    for (int r = 0; r < v.length; r++) {
      String cell = t.text()[r];
      switch (Csv.kind(cell)) {
        case NUMBER -> v[r] = Double.parseDouble(cell);
        case NON_FINITE -> throw new DataException(t.where(r) + ": " + Csv.show(cell)
            + " is not a finite number; expected " + expected);
        case EMPTY -> throw new DataException(t.where(r) + ": the cell is empty; expected " + expected);
        default -> throw new DataException(t.where(r) + ": " + Csv.show(cell) + " is not a number; expected "
            + expected + (classification ? " (map class names to indices 0..C-1 first)" : ""));
      }
    }
    return new NumericFiles.Column(file, v, t.text(), t.lines(), t.header());
  }

  /** Checks and converts class labels; returns the number of classes. */
  private static int classLabels(NumericFiles.Column y, int classes, int[] out) {
    double max = -1;
    int maxRow = -1;
    for (int r = 0; r < out.length; r++) {
      double v = y.values()[r];
      String range = classes > 0 ? "0.." + (classes - 1) + " (dataset.classes = " + classes + ")"
          : "0, 1, 2, ... (dataset.classes = 0: inferred as max + 1)";
      if (v != Math.rint(v)) {
        throw new DataException(y.where(r) + ": label " + show(y, r) + " is not an integer; classification"
            + " labels are class indices " + range);
      }
      if (v < 0 || (classes > 0 && v >= classes)) {
        throw new DataException(y.where(r) + ": label " + show(y, r) + " is outside " + range);
      }
      if (v > max) {
        max = v;
        maxRow = r;
      }
      out[r] = v > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) v;
    }
    if (classes > 0) return classes;
    if (max + 1 > MAX_INFERRED_CLASSES) {
      throw new DataException(y.where(maxRow) + ": label " + show(y, maxRow) + " would make " + (long) (max + 1)
          + " classes (dataset.classes = 0 infers max + 1); labels must be class indices 0..C-1");
    }
    if (max < 1) {
      throw new DataException(y.file() + ": every label is 0, so only one class was inferred; classification"
          + " needs at least 2 classes (check the file, or set dataset.classes)");
    }
    return (int) max + 1;
  }

  private static String show(NumericFiles.Column y, int r) {
    if (y.text() != null) return y.text()[r];
    double v = y.values()[r];
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  private static Sampling.Split split(Params p, Path dir, int n, int[] labels) {
    if (p.split().isEmpty()) {
      int testCount = Sampling.sampleSize(n, p.testFraction());
      if (testCount >= n) {
        throw new DataException("dataset.test-fraction: a test set of " + testCount + " of " + n
            + " rows leaves the training split empty; lower dataset.test-fraction or give a split file (dataset.split)");
      }
      return Sampling.stratifiedSplit(n, labels, p.testFraction(), p.splitSeed());
    }
    Path file = dir.resolve(p.split());
    NumericFiles.requireFile(file, NAME + ": split file (dataset.split = " + p.split() + ")");
    boolean[] isTest = new boolean[n];
    NumericFiles.Column c;
    if (NumericFiles.extension(file).equals("npy")) {
      c = NumericFiles.readNpyColumn(file);
      checkSplitCount(c, n);
      for (int r = 0; r < n; r++) {
        double v = c.values()[r];
        if (v != 0 && v != 1) {
          throw new DataException(c.where(r) + ": split value " + show(c, r) + " is not 1 (train) or 0 (test)");
        }
        isTest[r] = v == 0;
      }
    } else {
      c = NumericFiles.readTextColumn(file, "split file", cell -> splitValue(cell) != null);
      checkSplitCount(c, n);
      for (int r = 0; r < n; r++) {
        Boolean test = splitValue(c.text()[r]);
        if (test == null) {
          throw new DataException(c.where(r) + ": " + Csv.show(c.text()[r])
              + " is not a split value; expected train or test (or 1 for train, 0 for test)");
        }
        isTest[r] = test;
      }
    }
    int tests = 0;
    for (boolean b : isTest) if (b) tests++;
    if (tests == 0) {
      throw new DataException(file + " puts no row in the test split (all " + n + " rows are train); mark"
          + " some rows test (or 0), or set dataset.split = \"\" for a random split of dataset.test-fraction");
    }
    if (tests == n) {
      throw new DataException(file + " puts no row in the training split (all " + n + " rows are test); mark"
          + " some rows train (or 1), or set dataset.split = \"\" for a random split of dataset.test-fraction");
    }
    int[] train = new int[n - tests];
    int[] test = new int[tests];
    int a = 0;
    int b = 0;
    for (int r = 0; r < n; r++) {
      if (isTest[r]) test[b++] = r;
      else train[a++] = r;
    }
    return new Sampling.Split(train, test);
  }

  private static void checkSplitCount(NumericFiles.Column c, int n) {
    if (c.size() != n) {
      String hint = c.header() != null ? " (its first line " + Csv.show(String.join(",", c.header()))
          + " was read as a header)" : "";
      throw new DataException(c.file() + " has " + c.size() + " split values but the data has " + n
          + " rows; one value per row" + hint);
    }
  }

  /** true: test, false: train, null: not a split value. */
  static Boolean splitValue(String cell) {
    String s = cell.trim().toLowerCase(Locale.ROOT);
    return switch (s) {
      case "test", "0" -> Boolean.TRUE;
      case "train", "1" -> Boolean.FALSE;
      default -> null;
    };
  }
}

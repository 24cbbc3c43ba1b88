package org.modalgrid.data;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * UCI Multiple Features ({@code mfeat}; R.P.W. Duin, UCI Machine Learning Repository, DOI
 * 10.24432/C5HC70): 2000 handwritten digits, 200 per class, described by six views.
 *
 * <p>Each view is a csv file whose last column is the class. Two layouts exist and both are read:
 * files with a header line and classes 1..10 meaning digit k−1 (the openml-datasets copies), and
 * files without a header and classes 0..9 (the digit itself); the layout is recognised from the
 * range of the class column. The classes of all loaded views must agree row by row.
 *
 * <p>Keys: {@code path} (folder, relative to the working directory unless absolute), {@code views}
 * (in order), {@code test-fraction} and {@code split-seed} (class-stratified split).
 */
public final class MfeatSource implements DatasetSource {

  public static final String NAME = "mfeat";
  static final Set<String> KEYS = Set.of("source", "path", "views", "test-fraction", "split-seed");
  public static final int ROWS = 2000;
  public static final int CLASSES = 10;

  /** A view: its short name, feature count and the file names it may have. */
  public enum View {
    FOU("fou", 76, "mfeat-fou.csv", "mfeat-fourier.csv"),
    FAC("fac", 216, "mfeat-fac.csv", "mfeat-factors.csv"),
    KAR("kar", 64, "mfeat-kar.csv", "mfeat-karhunen.csv"),
    PIX("pix", 240, "mfeat-pix.csv", "mfeat-pixel.csv"),
    ZER("zer", 47, "mfeat-zer.csv", "mfeat-zernike.csv"),
    MOR("mor", 6, "mfeat-mor.csv", "mfeat-morphological.csv");

    private final String shortName;
    private final int dim;
    private final List<String> fileNames;

    View(String shortName, int dim, String... fileNames) {
      this.shortName = shortName;
      this.dim = dim;
      this.fileNames = List.of(fileNames);
    }

    public String shortName() { return shortName; }
    public int dim() { return dim; }
    public List<String> fileNames() { return fileNames; }

    public static View of(String name) {
      for (View v : values()) if (v.shortName.equals(name)) return v;
      return null;
    }
  }

  public record Params(Path path, List<View> views, double testFraction, long splitSeed) {

    public static Params from(Config dataset) {
      DatasetKeys k = new DatasetKeys(dataset, NAME);
      k.onlyKnown(KEYS);
      String path = k.string("path");
      if (path.isBlank()) throw k.bad("path", "empty; set it to the folder holding the mfeat-*.csv files");
      List<String> names = k.stringList("views");
      if (names.isEmpty()) throw k.bad("views", "empty; name at least one of fou, fac, kar, pix, zer, mor");
      List<View> views = new ArrayList<>();
      Set<View> seen = new HashSet<>();
      for (String n : names) {
        View v = View.of(n);
        if (v == null) throw k.bad("views", "unknown view '" + n + "'; the views are fou, fac, kar, pix, zer, mor");
        if (!seen.add(v)) throw k.bad("views", "view '" + n + "' is listed twice");
        views.add(v);
      }
      double tf = k.doubleIn("test-fraction", 0, true, 1, true);
      long seed = k.longValue("split-seed");
      return new Params(Paths.get(path), List.copyOf(views), tf, seed);
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
    Path dir = p.path();
    Map<String, INDArray> features = new LinkedHashMap<>();
    int[] labels = null;
    Path labelsFrom = null;
    int[] labelLines = null;
    for (View v : p.views()) {
      Path file = locate(dir, v);
      NumericFiles.Matrix m = NumericFiles.readCsvMatrix(file);
      if (m.cols() != v.dim() + 1) {
        throw new DataException(file + ": " + m.cols() + " columns, expected " + (v.dim() + 1) + " ("
            + v.dim() + " features of view '" + v.shortName() + "' and the class); is this the right file?");
      }
      if (labels != null && m.rows() != labels.length) {
        throw new DataException(file + " has " + m.rows() + " rows but " + labelsFrom + " has " + labels.length
            + "; the views of UCI Multiple Features have " + ROWS + " rows each, in the same order");
      }
      int[] digits = digits(m);
      if (labels == null) {
        labels = digits;
        labelsFrom = file;
        labelLines = m.lines();
      } else {
        for (int r = 0; r < digits.length; r++) {
          if (digits[r] != labels[r]) {
            throw new DataException(m.rowWhere(r) + ": digit " + digits[r] + " disagrees with "
                + NumericFiles.where(labelsFrom, labelLines, r) + ", digit " + labels[r]
                + "; the views must list the same characters in the same order");
          }
        }
      }
      int n = m.rows();
      int d = v.dim();
      float[] x = new float[n * d];
      for (int r = 0; r < n; r++) System.arraycopy(m.data(), r * m.cols(), x, r * d, d);
      features.put(v.shortName(), Nd4j.create(x, new long[] {n, d}, 'c'));
    }
    int n = labels.length;
    int testCount = Sampling.sampleSize(n, p.testFraction());
    if (testCount >= n) {
      throw new DataException("dataset.test-fraction: " + p.testFraction() + " of " + n
          + " rows leaves no training rows; lower it");
    }
    Sampling.Split split = Sampling.stratifiedSplit(n, labels, p.testFraction(), p.splitSeed());
    return MultimodalDataset.classification(NAME, features, labels, CLASSES, split.train(), split.test());
  }

  /** Digit per row from the last column: 0..9 as is, 1..10 shifted down by one. */
  private static int[] digits(NumericFiles.Matrix m) {
    int n = m.rows();
    int c = m.cols() - 1;
    int[] y = new int[n];
    int min = Integer.MAX_VALUE;
    int max = Integer.MIN_VALUE;
    for (int r = 0; r < n; r++) {
      float v = m.data()[r * m.cols() + c];
      if (v != Math.rint(v)) {
        throw new DataException(m.rowWhere(r) + ", column " + (c + 1) + ": class " + v
            + " is not an integer; the last column holds the class");
      }
      y[r] = (int) v;
      min = Math.min(min, y[r]);
      max = Math.max(max, y[r]);
    }
    if (min < 0 || max > 10 || (min == 0 && max == 10)) {
      throw new DataException(m.file() + ": classes in the last column range " + min + ".." + max
          + "; expected 0..9 (the digit) or 1..10 (digit + 1)");
    }
    // 1..10 when 10 occurs, 0..9 when 0 occurs; otherwise the layout decides (header: 1..10).
    int shift = max == 10 ? 1 : min == 0 ? 0 : m.header() != null ? 1 : 0;
    for (int r = 0; r < n; r++) y[r] -= shift;
    return y;
  }

  /** The file of a view in {@code dir}, under any of its names; a clear error when absent. */
  static Path locate(Path dir, View v) {
    for (String name : v.fileNames()) {
      Path f = dir.resolve(name);
      if (Files.isRegularFile(f)) return f;
    }
    Path abs = dir.toAbsolutePath().normalize();
    String where = Files.isDirectory(dir)
        ? "in " + abs
        : "in " + abs + ", which does not exist";
    throw new DataException("mfeat: no file for view '" + v.shortName() + "': looked for "
        + String.join(" and ", v.fileNames()) + " " + where + ". This dataset is UCI Multiple Features"
        + " (R.P.W. Duin, UCI Machine Learning Repository, DOI 10.24432/C5HC70); put its csv files in a"
        + " folder and set dataset.path to it (or --set dataset.path=...).");
  }
}

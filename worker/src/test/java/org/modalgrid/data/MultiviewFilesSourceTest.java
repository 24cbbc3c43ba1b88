package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MultiviewFilesSourceTest {

  private final MultiviewFilesSource source = new MultiviewFilesSource();

  @TempDir
  Path dir;

  private Config config(String hocon) {
    return TestSupport.dataset("multiview-files", "dir = \"" + dir.toString().replace("\\", "/") + "\"\n" + hocon);
  }

  private static float[][] randomRows(int n, int d, long seed) {
    Random r = new Random(seed);
    float[][] v = new float[n][d];
    for (float[] row : v) for (int j = 0; j < d; j++) row[j] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
    return v;
  }

  private void writeCsv(String name, String header, float[][] rows) throws IOException {
    List<String> lines = new ArrayList<>();
    if (header != null) lines.add(header);
    for (float[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < row.length; j++) sb.append(j == 0 ? "" : ",").append(row[j]);
      lines.add(sb.toString());
    }
    Files.write(dir.resolve(name), lines);
  }

  private void writeLines(String name, String... lines) throws IOException {
    Files.write(dir.resolve(name), List.of(lines));
  }

  private static String header(int d) {
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < d; j++) sb.append(j == 0 ? "" : ",").append("f").append(j);
    return sb.toString();
  }

  private static INDArray matrix(float[][] v) {
    return Nd4j.createFromArray(v);
  }

  private int[] writeLabels(String name, int n, int classes, boolean header) throws IOException {
    int[] y = new int[n];
    List<String> lines = new ArrayList<>();
    if (header) lines.add("label");
    for (int i = 0; i < n; i++) {
      y[i] = (i * 7) % classes;
      lines.add(Integer.toString(y[i]));
    }
    Files.write(dir.resolve(name), lines);
    return y;
  }

  private DataException refused(String hocon) {
    return assertThrows(DataException.class, () -> source.load(config(hocon), 0));
  }

  private static void assertStartsWith(String prefix, String message) {
    assertTrue(message.startsWith(prefix), "expected the message to start with\n  " + prefix + "\nbut it is\n  " + message);
  }

  // ------------------------------------------------------------------ round trips

  @Test
  void iemocapShapedRoundTripThroughCsvWithAndWithoutHeaderAndNpy() throws IOException {
    int n = 240;
    float[][] text = randomRows(n, 100, 1);
    float[][] audio = randomRows(n, 100, 2);
    float[][] video = randomRows(n, 512, 3);
    writeCsv("text.csv", header(100), text);
    writeCsv("audio.csv", null, audio);
    Nd4j.writeAsNumpy(matrix(video), dir.resolve("video.npy").toFile());
    int[] y = writeLabels("labels.csv", n, 6, true);
    MultimodalDataset ds = source.load(config("""
        modalities = [{ name = text, file = text.csv }, { name = audio, file = audio.csv }, { name = video, file = video.npy }]
        test-fraction = 0.25"""), 0);
    assertEquals(List.of("text", "audio", "video"), ds.modalities());
    assertEquals(Task.CLASSIFICATION, ds.task());
    assertEquals(6, ds.numClasses());
    assertEquals(matrix(text), ds.features("text"));
    assertEquals(matrix(audio), ds.features("audio"));
    assertEquals(matrix(video), ds.features("video"));
    for (String m : ds.modalities()) {
      assertEquals(DataType.FLOAT, ds.features(m).dataType());
      assertEquals('c', ds.features(m).ordering());
    }
    assertArrayEquals(y, ds.labels());
    assertEquals(60, ds.testRows().length);
    assertEquals(180, ds.trainRows().length);
    for (int c : ds.classCounts(ds.testRows())) assertEquals(10, c);
  }

  @Test
  void objectFormTakesModalitiesInNameOrder() throws IOException {
    writeCsv("b.csv", null, randomRows(20, 3, 1));
    writeCsv("a.csv", null, randomRows(20, 2, 2));
    writeLabels("labels.csv", 20, 2, false);
    MultimodalDataset ds = source.load(config("modalities { zeta = b.csv, alpha = a.csv }"), 0);
    assertEquals(List.of("alpha", "zeta"), ds.modalities());
    assertEquals(2, ds.dim("alpha"));
  }

  @Test
  void npyOfOtherDtypesAndFortranOrderIsReadByValue() throws IOException {
    // 3 x 2 float64 in Fortran order: file order is column by column
    TestSupport.writeNpy(dir.resolve("f.npy"), "<f8", true, new long[] {3, 2}, new double[] {1, 2, 3, 10, 20, 30});
    TestSupport.writeNpy(dir.resolve("b.npy"), ">f4", false, new long[] {3, 2}, new double[] {1, 2, 3, 4, 5, 6});
    TestSupport.writeNpy(dir.resolve("u.npy"), "|u1", false, new long[] {3}, new double[] {7, 8, 255});
    TestSupport.writeNpy(dir.resolve("y.npy"), "<i8", false, new long[] {3}, new double[] {0, 1, 2});
    MultimodalDataset ds = source.load(config("""
        modalities = [{ name = f, file = f.npy }, { name = b, file = b.npy }, { name = u, file = u.npy }]
        labels = y.npy, test-fraction = 0.34"""), 0);
    assertEquals(Nd4j.createFromArray(new float[][] {{1, 10}, {2, 20}, {3, 30}}), ds.features("f"));
    assertEquals(Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}, {5, 6}}), ds.features("b"));
    assertEquals(Nd4j.createFromArray(new float[][] {{7}, {8}, {255}}), ds.features("u"));
    assertArrayEquals(new int[] {0, 1, 2}, ds.labels());
    assertEquals(3, ds.numClasses());
  }

  @Test
  void regressionWithASplitFile() throws IOException {
    writeCsv("x.csv", "a,b", new float[][] {{1, 2}, {3, 4}, {5, 6}, {7, 8}});
    writeLines("y.csv", "target", "0.5", "-1.25", "3e2", "7");
    writeLines("split.csv", "fold", "train", "TEST", "1", "0");
    MultimodalDataset ds = source.load(config("""
        modalities { x = x.csv }, labels = y.csv, task = regression, split = split.csv"""), 0);
    assertEquals(Task.REGRESSION, ds.task());
    assertArrayEquals(new float[] {0.5f, -1.25f, 300f, 7f}, ds.targets());
    assertArrayEquals(new int[] {0, 2}, ds.trainRows());
    assertArrayEquals(new int[] {1, 3}, ds.testRows());
    assertTrue(Double.isNaN(ds.oracleRisk()));
  }

  @Test
  void classesCanBeGivenAndNeedNotAllOccur() throws IOException {
    writeCsv("x.csv", null, randomRows(10, 2, 1));
    writeLines("y.csv", "0", "1", "0", "1", "0", "1", "0", "1", "0", "1");
    MultimodalDataset ds = source.load(config("modalities { x = x.csv }, labels = y.csv, classes = 4, test-fraction = 0.4"), 0);
    assertEquals(4, ds.numClasses());
    assertEquals(4, ds.testRows().length);
  }

  // ------------------------------------------------------------------ bad data

  @Test
  void raggedRow() throws IOException {
    writeLines("x.csv", "1,2,3", "4,5,6", "7,8", "1,1,1");
    writeLabels("y.csv", 4, 2, false);
    assertStartsWith(dir.resolve("x.csv") + ", line 3 (data row 3): 2 columns, expected 3 (as in the first data row, line 1)",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
    writeLines("h.csv", "a,b,c", "1,2,3", "4,5,6,7");
    assertStartsWith(dir.resolve("h.csv") + ", line 3 (data row 2): 4 columns, expected 3 (as in the header on line 1)",
        refused("modalities { x = h.csv }, labels = y.csv").getMessage());
  }

  @Test
  void nonNumericCell() throws IOException {
    writeLines("x.csv", "f1,f2", "1,2", "", "3,abc", "5,6");
    writeLabels("y.csv", 3, 2, false);
    assertStartsWith(dir.resolve("x.csv") + ", line 4 (data row 2), column 2: 'abc' is not a number",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
  }

  @Test
  void emptyCell() throws IOException {
    writeLines("x.csv", "1,2", "3,", "5,6");
    writeLabels("y.csv", 3, 2, false);
    assertStartsWith(dir.resolve("x.csv") + ", line 2 (data row 2), column 2: the cell is empty; expected a number",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
  }

  @Test
  void nanOrInfinityInCsv() throws IOException {
    writeLines("x.csv", "1,2", "3,4", "NaN,6");
    writeLabels("y.csv", 3, 2, false);
    String m = refused("modalities { x = x.csv }, labels = y.csv").getMessage();
    assertStartsWith(dir.resolve("x.csv") + ", line 3 (data row 3), column 1: 'NaN' is not a finite number", m);
    writeLines("x.csv", "1,2", "3,-inf", "5,6");
    assertStartsWith(dir.resolve("x.csv") + ", line 2 (data row 2), column 2: '-inf' is not a finite number",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
  }

  @Test
  void nanOrInfinityInNpy() throws IOException {
    Nd4j.writeAsNumpy(Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, Float.POSITIVE_INFINITY}}),
        dir.resolve("x.npy").toFile());
    writeLabels("y.csv", 2, 2, false);
    assertStartsWith(dir.resolve("x.npy") + ", row 2, column 3: Infinity is not a finite number",
        refused("modalities { x = x.npy }, labels = y.csv").getMessage());
    Nd4j.writeAsNumpy(Nd4j.createFromArray(new float[][] {{1, Float.NaN, 3}, {4, 5, 6}}), dir.resolve("x.npy").toFile());
    assertStartsWith(dir.resolve("x.npy") + ", row 1, column 2: NaN is not a finite number",
        refused("modalities { x = x.npy }, labels = y.csv").getMessage());
  }

  @Test
  void mismatchedRowCounts() throws IOException {
    writeCsv("a.csv", null, randomRows(5, 2, 1));
    writeCsv("b.csv", null, randomRows(4, 2, 2));
    writeLabels("y.csv", 5, 2, false);
    assertStartsWith("multiview-files: modality 'b' (" + dir.resolve("b.csv") + ") has 4 rows but modality 'a' ("
        + dir.resolve("a.csv") + ") has 5 rows",
        refused("modalities = [{ name = a, file = a.csv }, { name = b, file = b.csv }], labels = y.csv").getMessage());
    writeLabels("y.csv", 6, 2, true);
    assertStartsWith("multiview-files: " + dir.resolve("y.csv") + " has 6 labels but modality 'a' (" + dir.resolve("a.csv")
        + ") has 5 rows", refused("modalities { a = a.csv }, labels = y.csv").getMessage());
  }

  @Test
  void aHeaderOfColumnNumbersIsPointedOut() throws IOException {
    writeLines("a.csv", "0,1,2", "1.5,2,3", "4,5,6");
    writeLabels("y.csv", 2, 2, false);
    String m = refused("modalities { a = a.csv }, labels = y.csv").getMessage();
    assertTrue(m.contains("has 2 labels but modality 'a'") && m.contains("starts with the row 0, 1, 2"), m);
  }

  @Test
  void labelOutOfRangeOrNotAnInteger() throws IOException {
    writeCsv("x.csv", null, randomRows(4, 2, 1));
    writeLines("y.csv", "label", "0", "1", "6", "2");
    assertStartsWith(dir.resolve("y.csv") + ", line 4 (data row 3): label 6 is outside 0..5 (dataset.classes = 6)",
        refused("modalities { x = x.csv }, labels = y.csv, classes = 6").getMessage());
    writeLines("y.csv", "0", "-1", "1", "1");
    assertStartsWith(dir.resolve("y.csv") + ", line 2 (data row 2): label -1 is outside 0, 1, 2, ...",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
    writeLines("y.csv", "0", "1", "2.5", "1");
    assertStartsWith(dir.resolve("y.csv") + ", line 3 (data row 3): label 2.5 is not an integer",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
    writeLines("y.csv", "0", "1", "happy", "1");
    assertStartsWith(dir.resolve("y.csv") + ", line 3 (data row 3): 'happy' is not a number; expected a class index",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
    TestSupport.writeNpy(dir.resolve("y.npy"), "<i8", false, new long[] {4, 1}, new double[] {0, 1, 9, 1});
    assertStartsWith(dir.resolve("y.npy") + ", row 3: label 9 is outside 0..2 (dataset.classes = 3)",
        refused("modalities { x = x.csv }, labels = y.npy, classes = 3").getMessage());
    writeLines("y.csv", "0", "0", "0", "0");
    assertStartsWith(dir.resolve("y.csv") + ": every label is 0",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
  }

  @Test
  void emptySplit() throws IOException {
    writeCsv("x.csv", null, randomRows(3, 2, 1));
    writeLabels("y.csv", 3, 2, false);
    writeLines("s.csv", "train", "train", "1");
    assertStartsWith(dir.resolve("s.csv") + " puts no row in the test split (all 3 rows are train); mark some rows test",
        refused("modalities { x = x.csv }, labels = y.csv, split = s.csv").getMessage());
    writeLines("s.csv", "split", "test", "0", "test");
    assertStartsWith(dir.resolve("s.csv") + " puts no row in the training split",
        refused("modalities { x = x.csv }, labels = y.csv, split = s.csv").getMessage());
    writeCsv("one.csv", null, randomRows(1, 2, 1));
    writeLines("y1.csv", "1");
    String m = refused("modalities { x = one.csv }, labels = y1.csv, classes = 2").getMessage();
    assertStartsWith("dataset.test-fraction: a test set of 1 of 1 rows leaves the training split empty", m);
  }

  @Test
  void unknownSplitValueOrWrongCount() throws IOException {
    writeCsv("x.csv", null, randomRows(3, 2, 1));
    writeLabels("y.csv", 3, 2, false);
    writeLines("s.csv", "train", "validation", "test");
    assertStartsWith(dir.resolve("s.csv") + ", line 2 (data row 2): 'validation' is not a split value; expected train or test",
        refused("modalities { x = x.csv }, labels = y.csv, split = s.csv").getMessage());
    writeLines("s.csv", "tran", "test", "train");
    assertStartsWith(dir.resolve("s.csv") + " has 2 split values but the data has 3 rows; one value per row (its first line 'tran' was read as a header)",
        refused("modalities { x = x.csv }, labels = y.csv, split = s.csv").getMessage());
  }

  @Test
  void missingFiles() throws IOException {
    writeLabels("y.csv", 3, 2, false);
    assertStartsWith("multiview-files: modality 'text' (dataset.modalities.text = text.csv): file not found: "
        + dir.resolve("text.csv").toAbsolutePath(), refused("modalities { text = text.csv }, labels = y.csv").getMessage());
    writeCsv("x.csv", null, randomRows(3, 2, 1));
    assertStartsWith("multiview-files: labels (dataset.labels = nolabels.csv): file not found: " + dir.resolve("nolabels.csv"),
        refused("modalities { x = x.csv }, labels = nolabels.csv").getMessage());
    assertStartsWith("multiview-files: split file (dataset.split = s.csv): file not found",
        refused("modalities { x = x.csv }, labels = y.csv, split = s.csv").getMessage());
    DataException e = assertThrows(DataException.class, () -> source.load(TestSupport.dataset("multiview-files",
        "dir = \"" + dir.resolve("absent") + "\", modalities { x = x.csv }"), 0));
    assertStartsWith("dataset.dir: folder not found: " + dir.resolve("absent"), e.getMessage());
  }

  @Test
  void emptyFiles() throws IOException {
    writeLines("x.csv");
    writeLabels("y.csv", 3, 2, false);
    assertStartsWith(dir.resolve("x.csv") + ": the file is empty",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
    writeLines("x.csv", "a,b");
    assertStartsWith(dir.resolve("x.csv") + ": only a header line, no data rows",
        refused("modalities { x = x.csv }, labels = y.csv").getMessage());
    Files.write(dir.resolve("x.npy"), new byte[0]);
    assertStartsWith(dir.resolve("x.npy") + ": the file is empty",
        refused("modalities { x = x.npy }, labels = y.csv").getMessage());
    Nd4j.writeAsNumpy(Nd4j.create(DataType.FLOAT, 0, 3), dir.resolve("z.npy").toFile());
    assertStartsWith(dir.resolve("z.npy") + ": the array has no rows",
        refused("modalities { x = z.npy }, labels = y.csv").getMessage());
    writeCsv("x.csv", null, randomRows(3, 2, 1));
    writeLines("e.csv");
    assertStartsWith(dir.resolve("e.csv") + ": the file is empty",
        refused("modalities { x = x.csv }, labels = e.csv").getMessage());
  }

  @Test
  void foreignOrTruncatedNpy() throws IOException {
    writeLabels("y.csv", 2, 2, false);
    Files.writeString(dir.resolve("x.npy"), "a,b\n1,2\n");
    assertStartsWith(dir.resolve("x.npy") + ": not a NumPy .npy file",
        refused("modalities { x = x.npy }, labels = y.csv").getMessage());
    TestSupport.writeNpy(dir.resolve("t.npy"), "<f4", false, new long[] {2, 3}, new double[] {1, 2, 3, 4, 5, 6});
    byte[] all = Files.readAllBytes(dir.resolve("t.npy"));
    Files.write(dir.resolve("t.npy"), java.util.Arrays.copyOf(all, all.length - 4));
    assertStartsWith(dir.resolve("t.npy") + ": truncated .npy file: shape [2, 3] of <f4 needs 24 data bytes, the file has 20",
        refused("modalities { x = t.npy }, labels = y.csv").getMessage());
    TestSupport.writeNpy(dir.resolve("c.npy"), "<f4", false, new long[] {2, 1, 3}, new double[] {1, 2, 3, 4, 5, 6});
    assertStartsWith(dir.resolve("c.npy") + ": a feature array must be 2-D",
        refused("modalities { x = c.npy }, labels = y.csv").getMessage());
  }

  @Test
  void configErrorsNameTheKey() {
    DataException e = assertThrows(DataException.class, () -> source.validate(config("labels = y.csv")));
    assertStartsWith("dataset.modalities: empty", e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(
        com.typesafe.config.ConfigFactory.parseString("source = multiview-files, dir = x, labels = y.csv")));
    assertStartsWith("dataset.modalities: missing", e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(config("modalities { x = x.csv }, task = ranking")));
    assertStartsWith("dataset.task: expected 'classification' or 'regression', got 'ranking'", e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(config("modalities { x = x.csv }, test-fraction = 1")));
    assertStartsWith("dataset.test-fraction: must be in (0, 1), got 1.0", e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(config("modalities { x = x.csv }, classes = 1")));
    assertStartsWith("dataset.classes: must be 0 (infer) or at least 2", e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(config("modalities { x = x.csv }, label = y.csv")));
    assertStartsWith("dataset.label: not a key of dataset source 'multiview-files'", e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(config("modalities = [{ name = \"a b\", file = x.csv }]")));
    assertStartsWith("dataset.modalities: 'a b' is not a valid modality name", e.getMessage());
  }
}

package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MfeatSourceTest {

  private final MfeatSource source = new MfeatSource();

  private static Config config(Path dir, String views) {
    return TestSupport.dataset("mfeat", "path = \"" + dir.toString().replace("\\", "/") + "\"\nviews = " + views);
  }

  @Test
  void loadsTheSixViewsOfTheSharedCopy() {
    Optional<Path> dir = TestSupport.mfeatDir();
    assumeTrue(dir.isPresent(), "shared/data/mfeat not found above the working directory");
    MultimodalDataset ds = source.load(config(dir.get(), "[fou, fac, kar, pix, zer, mor]"), 0);
    assertEquals(List.of("fou", "fac", "kar", "pix", "zer", "mor"), ds.modalities());
    assertEquals(2000, ds.rows());
    int[] dims = {76, 216, 64, 240, 47, 6};
    for (int k = 0; k < dims.length; k++) assertEquals(dims[k], ds.dim(ds.modalities().get(k)));
    assertEquals(10, ds.numClasses());
    int[] all = MultimodalDataset.range(0, 2000);
    for (int c : ds.classCounts(all)) assertEquals(200, c);
    for (int r = 0; r < 2000; r++) assertEquals(r / 200, ds.labels()[r], "UCI order: 200 rows per digit");
    // the split: half, 100 per class in the test set, disjoint
    assertEquals(1000, ds.trainRows().length);
    assertEquals(1000, ds.testRows().length);
    for (int c : ds.classCounts(ds.testRows())) assertEquals(100, c);
    boolean[] test = new boolean[2000];
    for (int r : ds.testRows()) test[r] = true;
    for (int r : ds.trainRows()) assertTrue(!test[r]);
    // first values of the files, as written there
    assertEquals(0.06588172f, ds.features("fou").getFloat(0, 0), 0f);
    assertEquals(1620.22177892f, ds.features("mor").getFloat(0, 5), 0f);
    // the split follows split-seed, and the default views are fou, kar, pix
    Config other = TestSupport.dataset("mfeat", "path = \"" + dir.get() + "\"\nsplit-seed = 1");
    MultimodalDataset d2 = source.load(other, 0);
    assertEquals(List.of("fou", "kar", "pix"), d2.modalities());
    assertTrue(!java.util.Arrays.equals(ds.testRows(), d2.testRows()));
  }

  @Test
  void missingFolderSaysWhatWasLookedForAndHowToFixIt(@TempDir Path tmp) {
    Path dir = tmp.resolve("nowhere");
    DataException e = assertThrows(DataException.class, () -> source.load(config(dir, "[fou, kar]"), 0));
    String m = e.getMessage();
    assertTrue(m.contains("mfeat-fou.csv"), m);
    assertTrue(m.contains(dir.toAbsolutePath().toString()), m);
    assertTrue(m.contains("does not exist"), m);
    assertTrue(m.contains("UCI Multiple Features"), m);
    assertTrue(m.contains("10.24432/C5HC70"), m);
    assertTrue(m.contains("dataset.path"), m);
    assertTrue(m.contains("--set dataset.path="), m);
  }

  @Test
  void missingFileInAnExistingFolderIsNamed(@TempDir Path tmp) throws IOException {
    writeView(tmp.resolve("mfeat-fou.csv"), 76, false, new int[] {0, 1});
    DataException e = assertThrows(DataException.class, () -> source.load(config(tmp, "[fou, zer]"), 0));
    assertTrue(e.getMessage().contains("view 'zer'"), e.getMessage());
    assertTrue(e.getMessage().contains("mfeat-zer.csv and mfeat-zernike.csv in " + tmp.toAbsolutePath()), e.getMessage());
  }

  @Test
  void bothLabelLayoutsMapToDigits_andADisagreementIsRefused(@TempDir Path tmp) throws IOException {
    int[] digits = new int[40];
    for (int i = 0; i < digits.length; i++) digits[i] = i / 4;
    writeView(tmp.resolve("mfeat-fou.csv"), 76, false, digits);        // no header, 0..9
    writeView(tmp.resolve("mfeat-karhunen.csv"), 64, true, plusOne(digits)); // header, 1..10
    MultimodalDataset ds = source.load(config(tmp, "[kar, fou]"), 0);
    assertArrayEquals(digits, ds.labels());
    assertEquals(List.of("kar", "fou"), ds.modalities());
    assertEquals(20, ds.testRows().length);
    for (int c : ds.classCounts(ds.testRows())) assertEquals(2, c);

    int[] wrong = plusOne(digits);
    wrong[9] = 7;
    writeView(tmp.resolve("mfeat-karhunen.csv"), 64, true, wrong);
    DataException e = assertThrows(DataException.class, () -> source.load(config(tmp, "[fou, kar]"), 0));
    String m = e.getMessage();
    assertTrue(m.startsWith(tmp.resolve("mfeat-karhunen.csv") + ", line 11 (data row 10): digit 6 disagrees with "
        + tmp.resolve("mfeat-fou.csv") + ", line 10 (data row 10), digit 2"), m);
  }

  @Test
  void aFileWithTheWrongWidthIsRefused(@TempDir Path tmp) throws IOException {
    writeView(tmp.resolve("mfeat-pix.csv"), 200, true, new int[] {1, 2, 3});
    DataException e = assertThrows(DataException.class, () -> source.load(config(tmp, "[pix]"), 0));
    assertTrue(e.getMessage().contains("201 columns, expected 241"), e.getMessage());
  }

  @Test
  void unknownViewIsNamed() {
    DataException e = assertThrows(DataException.class,
        () -> source.validate(TestSupport.dataset("mfeat", "views = [fou, foo]")));
    assertTrue(e.getMessage().startsWith("dataset.views: unknown view 'foo'"), e.getMessage());
  }

  private static int[] plusOne(int[] a) {
    int[] b = a.clone();
    for (int i = 0; i < b.length; i++) b[i]++;
    return b;
  }

  private static void writeView(Path file, int dim, boolean header, int[] classes) throws IOException {
    List<String> lines = new ArrayList<>();
    if (header) {
      StringBuilder h = new StringBuilder();
      for (int j = 1; j <= dim; j++) h.append("att").append(j).append(',');
      lines.add(h.append("class").toString());
    }
    for (int i = 0; i < classes.length; i++) {
      StringBuilder r = new StringBuilder();
      for (int j = 0; j < dim; j++) r.append(i * 0.5 + j).append(',');
      lines.add(r.append(classes[i]).toString());
    }
    Files.write(file, lines);
  }
}

package org.modalgrid.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads feature matrices and one-value-per-row columns from {@code .csv} (header optional: a first
 * line with any non-numeric cell is a header) or {@code .npy} files. Every refusal is a
 * {@link DataException} naming the file, the 1-based line and data row (csv) or row (npy), the
 * column, the offending text and what was expected.
 */
final class NumericFiles {

  private NumericFiles() {}

  /**
   * A row-major float matrix read from a file.
   *
   * @param lines           1-based file line of each data row (csv), or null (npy)
   * @param header          the header cells (csv with a header), or null
   * @param columnNumbersFirstRow true when a csv without a header starts with the row 0,1,2,... or
   *                        1,2,3,..., which is usually a header of column numbers (as pandas writes)
   */
  record Matrix(Path file, int rows, int cols, float[] data, int[] lines, List<String> header,
                boolean columnNumbersFirstRow) {
    String rowWhere(int row) { return where(file, lines, row); }
  }

  /** One value per row. {@code lines} as in {@link Matrix}. */
  record Column(Path file, double[] values, String[] text, int[] lines, List<String> header) {
    int size() { return values != null ? values.length : text.length; }
    String where(int row) { return NumericFiles.where(file, lines, row); }
  }

  /** "file, line L (data row r)" for csv, "file, row r" for npy; row is 0-based here, printed 1-based. */
  static String where(Path file, int[] lines, int row) {
    return lines == null ? file + ", row " + (row + 1)
        : file + ", line " + lines[row] + " (data row " + (row + 1) + ")";
  }

  static String extension(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = n.lastIndexOf('.');
    return dot < 0 ? "" : n.substring(dot + 1);
  }

  /** Fails unless the file exists and is a regular file; {@code what} says what it is for. */
  static void requireFile(Path file, String what) {
    if (!Files.exists(file)) {
      throw new DataException(what + ": file not found: " + file.toAbsolutePath().normalize());
    }
    if (!Files.isRegularFile(file)) {
      throw new DataException(what + ": " + file.toAbsolutePath().normalize() + " is not a regular file");
    }
  }

  // ------------------------------------------------------------------ matrices

  static Matrix readMatrix(Path file, String what) {
    requireFile(file, what);
    return switch (extension(file)) {
      case "csv" -> readCsvMatrix(file);
      case "npy" -> readNpyMatrix(file);
      default -> throw new DataException(what + ": " + file + " has an unsupported extension; expected .csv or .npy");
    };
  }

  static Matrix readCsvMatrix(Path file) {
    var st = new Object() {
      List<String> header;
      int cols = -1;
      String colsFrom;
      int rows;
      float[] data = new float[1 << 12];
      int[] lines = new int[256];
      boolean first = true;
      boolean columnNumbers;
    };
    Csv.read(file, (line, cells) -> {
      if (st.first) {
        st.first = false;
        if (Csv.isHeader(cells)) {
          st.header = List.copyOf(cells);
          st.cols = cells.size();
          st.colsFrom = "as in the header on line " + line;
          return;
        }
        st.columnNumbers = looksLikeColumnNumbers(cells);
      }
      if (st.cols < 0) {
        st.cols = cells.size();
        st.colsFrom = "as in the first data row, line " + line;
      }
      int r = st.rows;
      if (cells.size() != st.cols) {
        throw new DataException(file + ", line " + line + " (data row " + (r + 1) + "): " + cells.size()
            + (cells.size() == 1 ? " column" : " columns") + ", expected " + st.cols + " (" + st.colsFrom + ")");
      }
      long need = (long) (r + 1) * st.cols;
      if (need > Integer.MAX_VALUE - 16) throw new DataException(file + ": too many values");
      if (need > st.data.length) {
        st.data = Arrays.copyOf(st.data, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(need, 2L * st.data.length)));
      }
      if (r >= st.lines.length) st.lines = Arrays.copyOf(st.lines, 2 * st.lines.length);
      st.lines[r] = line;
      int o = r * st.cols;
      for (int c = 0; c < st.cols; c++) {
        st.data[o + c] = parseFloat(cells.get(c), file, line, r, c);
      }
      st.rows++;
    });
    if (st.first) {
      throw new DataException(file + ": the file is empty; expected one row of comma-separated numbers per sample");
    }
    if (st.rows == 0) {
      throw new DataException(file + ": only a header line, no data rows; expected one row of numbers per sample");
    }
    return new Matrix(file, st.rows, st.cols, Arrays.copyOf(st.data, st.rows * st.cols),
        Arrays.copyOf(st.lines, st.rows), st.header, st.columnNumbers);
  }

  private static boolean looksLikeColumnNumbers(List<String> cells) {
    if (cells.size() < 2) return false;
    for (int start = 0; start <= 1; start++) {
      boolean all = true;
      for (int c = 0; c < cells.size() && all; c++) {
        all = cells.get(c).equals(Integer.toString(start + c));
      }
      if (all) return true;
    }
    return false;
  }

  private static float parseFloat(String cell, Path file, int line, int row, int col) {
    double v = parseNumber(cell, file, line, row, col);
    if (Math.abs(v) > Float.MAX_VALUE) {
      throw new DataException(at(file, line, row, col) + ": " + Csv.show(cell)
          + " is outside the range of a 32-bit float (about ±3.4e38)");
    }
    return (float) v;
  }

  static String at(Path file, int line, int row, int col) {
    return file + ", line " + line + " (data row " + (row + 1) + "), column " + (col + 1);
  }

  private static double parseNumber(String cell, Path file, int line, int row, int col) {
    switch (Csv.kind(cell)) {
      case NUMBER:
        return Double.parseDouble(cell);
      case NON_FINITE:
        throw new DataException(at(file, line, row, col) + ": " + Csv.show(cell)
            + " is not a finite number; NaN and infinite values are not allowed (impute or drop them first)");
      case EMPTY:
        throw new DataException(at(file, line, row, col) + ": the cell is empty; expected a number");
      default:
        throw new DataException(at(file, line, row, col) + ": " + Csv.show(cell) + " is not a number");
    }
  }

  static Matrix readNpyMatrix(Path file) {
    Npy.Header h = Npy.header(file);
    long[] shape = h.shape();
    if (shape.length == 0 || shape.length > 2) {
      throw new DataException(file + ": a feature array must be 2-D (rows x features) or 1-D (one feature), has shape "
          + Arrays.toString(shape));
    }
    if (shape[0] == 0) throw new DataException(file + ": the array has no rows (shape " + Arrays.toString(shape) + ")");
    int rows = (int) shape[0];
    int cols = shape.length == 2 ? (int) shape[1] : 1;
    if (cols == 0) throw new DataException(file + ": the array has no columns (shape " + Arrays.toString(shape) + ")");
    if (h.count() > Integer.MAX_VALUE - 16) throw new DataException(file + ": too many values (" + h.count() + ")");
    float[] data = new float[(int) h.count()];
    Npy.read(file, h, (i, v) -> {
      if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE) {
        throw new DataException(file + ", row " + (i / cols + 1) + ", column " + (i % cols + 1) + ": " + v
            + (Double.isFinite(v) ? " is outside the range of a 32-bit float"
               : " is not a finite number; NaN and infinite values are not allowed (impute or drop them first)"));
      }
      data[i] = (float) v;
    });
    return new Matrix(file, rows, cols, data, null, null, false);
  }

  // ------------------------------------------------------------------ columns

  /** One cell per row as text (csv): a first line whose cell {@code isData} rejects is a header. */
  static Column readTextColumn(Path file, String what, java.util.function.Predicate<String> isData) {
    requireFile(file, what);
    List<String> text = new ArrayList<>();
    var st = new Object() {
      int[] lines = new int[256];
      List<String> header;
      boolean first = true;
    };
    Csv.read(file, (line, cells) -> {
      if (st.first) {
        st.first = false;
        if (cells.size() == 1 && !isData.test(cells.get(0))) {
          st.header = List.copyOf(cells);
          return;
        }
      }
      if (cells.size() != 1) {
        throw new DataException(file + ", line " + line + " (data row " + (text.size() + 1) + "): "
            + cells.size() + " columns, expected 1 (one value per row)");
      }
      int r = text.size();
      if (r >= st.lines.length) st.lines = Arrays.copyOf(st.lines, 2 * st.lines.length);
      st.lines[r] = line;
      text.add(cells.get(0));
    });
    if (st.first) throw new DataException(file + ": the file is empty; expected one value per row");
    if (text.isEmpty()) throw new DataException(file + ": only a header line, no data rows; expected one value per row");
    return new Column(file, null, text.toArray(new String[0]), Arrays.copyOf(st.lines, text.size()), st.header);
  }

  /** A numeric column: a first cell that is text (not a number, NaN/Inf or empty) is a header. */
  static Column readTextColumn(Path file, String what) {
    return readTextColumn(file, what, c -> Csv.kind(c) != Csv.Kind.TEXT);
  }

  static Column readNpyColumn(Path file) {
    Npy.Header h = Npy.header(file);
    long[] shape = h.shape();
    boolean ok = shape.length == 1 || (shape.length == 2 && shape[1] == 1);
    if (!ok) {
      throw new DataException(file + ": expected a 1-D array or an n x 1 column (one value per row), got shape "
          + Arrays.toString(shape));
    }
    if (shape[0] == 0) throw new DataException(file + ": the array is empty; expected one value per row");
    double[] v = new double[(int) shape[0]];
    Npy.read(file, h, (i, x) -> {
      if (!Double.isFinite(x)) {
        throw new DataException(file + ", row " + (i + 1) + ": " + x
            + " is not a finite number; NaN and infinite values are not allowed");
      }
      v[i] = x;
    });
    return new Column(file, v, null, null, null);
  }
}

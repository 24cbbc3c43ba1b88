package org.modalgrid.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Helpers shared by the data tests: plain-Java linear algebra, config and file builders. */
final class TestSupport {

  private TestSupport() {}

  /** A source's dataset block: the given HOCON over that source's defaults. */
  static Config dataset(String source, String hocon) {
    Config exp = ConfigFactory.parseString("dataset { source = " + source + "\n" + hocon + "\n}")
        .withFallback(DatasetSources.defaults());
    return DatasetSources.resolve(exp);
  }

  /** Row-major values of a matrix as doubles. */
  static double[][] rows(INDArray x) {
    int n = (int) x.rows();
    int d = (int) x.columns();
    float[] v = x.dup('c').data().asFloat();
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) out[i][j] = v[i * d + j];
    return out;
  }

  /** Columns of several matrices side by side, plus an intercept column when asked. */
  static double[][] concat(boolean intercept, double[][]... parts) {
    int n = parts[0].length;
    int d = intercept ? 1 : 0;
    for (double[][] p : parts) d += p[0].length;
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      int o = 0;
      if (intercept) out[i][o++] = 1;
      for (double[][] p : parts) {
        System.arraycopy(p[i], 0, out[i], o, p[i].length);
        o += p[i].length;
      }
    }
    return out;
  }

  /** Least-squares coefficients by the normal equations with a tiny ridge, solved by Cholesky. */
  static double[] leastSquares(double[][] x, double[] y, double ridge) {
    int n = x.length;
    int d = x[0].length;
    double[][] a = new double[d][d];
    double[] b = new double[d];
    for (int i = 0; i < n; i++) {
      double[] r = x[i];
      for (int j = 0; j < d; j++) {
        b[j] += r[j] * y[i];
        for (int k = 0; k <= j; k++) a[j][k] += r[j] * r[k];
      }
    }
    for (int j = 0; j < d; j++) a[j][j] += ridge * n;
    double[][] l = new double[d][d];
    for (int j = 0; j < d; j++) {
      for (int k = 0; k <= j; k++) {
        double s = a[j][k];
        for (int m = 0; m < k; m++) s -= l[j][m] * l[k][m];
        if (j == k) l[j][j] = Math.sqrt(s);
        else l[j][k] = s / l[k][k];
      }
    }
    double[] z = new double[d];
    for (int j = 0; j < d; j++) {
      double s = b[j];
      for (int m = 0; m < j; m++) s -= l[j][m] * z[m];
      z[j] = s / l[j][j];
    }
    double[] beta = new double[d];
    for (int j = d - 1; j >= 0; j--) {
      double s = z[j];
      for (int m = j + 1; m < d; m++) s -= l[m][j] * beta[m];
      beta[j] = s / l[j][j];
    }
    return beta;
  }

  static double mse(double[][] x, double[] y, double[] beta) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      double p = 0;
      for (int j = 0; j < beta.length; j++) p += x[i][j] * beta[j];
      s += (y[i] - p) * (y[i] - p);
    }
    return s / x.length;
  }

  static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) d[i] = v[i];
    return d;
  }

  /** The UCI Multiple Features folder, looked for as shared/data/mfeat beside any ancestor of the working directory. */
  static Optional<Path> mfeatDir() {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path c = p.resolve("shared").resolve("data").resolve("mfeat");
      if (Files.isRegularFile(c.resolve("mfeat-fou.csv"))) return Optional.of(c);
    }
    return Optional.empty();
  }

  /** Writes a .npy file (format 1.0) with the given dtype descr, order and raw little/big-endian values. */
  static void writeNpy(Path file, String descr, boolean fortran, long[] shape, double[] valuesInFileOrder)
      throws IOException {
    StringBuilder sh = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) sh.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
    sh.append(")");
    String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + sh + ", }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    int item = Integer.parseInt(descr.substring(2));
    char kind = descr.charAt(1);
    ByteBuffer buf = ByteBuffer.allocate(10 + header.length() + valuesInFileOrder.length * item).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    buf.putShort((short) header.length());
    buf.put(header.getBytes(StandardCharsets.ISO_8859_1));
    buf.order(order);
    for (double v : valuesInFileOrder) {
      if (kind == 'f' && item == 8) buf.putDouble(v);
      else if (kind == 'f' && item == 4) buf.putFloat((float) v);
      else if (kind == 'i' && item == 8) buf.putLong((long) v);
      else if (kind == 'i' && item == 4) buf.putInt((int) v);
      else if ((kind == 'u' || kind == 'b') && item == 1) buf.put((byte) v);
      else throw new IllegalArgumentException(descr);
    }
    Files.write(file, buf.array());
  }
}

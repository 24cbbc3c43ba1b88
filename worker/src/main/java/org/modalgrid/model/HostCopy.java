package org.modalgrid.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk copies between Java arrays and the memory of a standalone ND4J array (not a view), in the
 * array's own storage order. One memcpy each way: cheaper than an ND4J op for small matrices
 * such as the logits of a batch.
 */
public final class HostCopy {

  private HostCopy() {}

  /** Copies all elements of {@code a} (FLOAT or DOUBLE) into {@code dst} (at least a.length() long). */
  public static void read(INDArray a, double[] dst) {
    int n = checked(a);
    if (a.dataType() == DataType.DOUBLE) {
      a.data().asNioDouble().get(0, dst, 0, n);
    } else {
      java.nio.FloatBuffer fb = a.data().asNioFloat();
      for (int i = 0; i < n; i++) dst[i] = fb.get(i);
    }
  }

  /** Writes {@code src[0 .. a.length())} into the memory of {@code a} (FLOAT or DOUBLE). */
  public static void write(double[] src, INDArray a) {
    int n = checked(a);
    if (a.dataType() == DataType.DOUBLE) {
      a.data().asNioDouble().put(0, src, 0, n);
    } else {
      java.nio.FloatBuffer fb = a.data().asNioFloat();
      for (int i = 0; i < n; i++) fb.put(i, (float) src[i]);
    }
  }

  private static int checked(INDArray a) {
    if (a.isView() || a.offset() != 0 || a.length() != a.data().length()) {
      throw new IllegalArgumentException("HostCopy needs a standalone array, got a view " + a.shapeInfoToString());
    }
    if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
      throw new IllegalArgumentException("HostCopy supports FLOAT and DOUBLE, got " + a.dataType());
    }
    return Math.toIntExact(a.length());
  }
}

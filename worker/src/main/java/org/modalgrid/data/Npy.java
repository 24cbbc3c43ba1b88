package org.modalgrid.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads NumPy {@code .npy} files (format versions 1-3): little- or big-endian float (f2, f4, f8),
 * signed and unsigned integer (1, 2, 4, 8 bytes) and bool arrays, C or Fortran order. The header
 * and the data length are checked in Java before any value is read, so a truncated or foreign file
 * gives a {@link DataException} naming it. (ND4J's own reader reads Fortran-order files as if they
 * were C order and aborts the JVM on big-endian files, hence this reader.)
 */
final class Npy {

  private Npy() {}

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /** A parsed header: element kind (f, i, u, b), item size, byte order, Fortran order, shape, data offset. */
  record Header(char kind, int itemSize, ByteOrder order, boolean fortran, long[] shape, long dataOffset) {
    long count() {
      long c = 1;
      for (long s : shape) c *= s;
      return c;
    }
  }

  interface Sink {
    /** Element at C-order position {@code index} (row-major). */
    void accept(int index, double value);
  }

  static Header header(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) throw new DataException(file + ": the file is empty; expected a NumPy .npy array");
      ByteBuffer pre = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(pre, 0);
      pre.flip();
      for (int i = 0; i < MAGIC.length; i++) {
        if (pre.remaining() <= i || pre.get(i) != MAGIC[i]) {
          throw new DataException(file + ": not a NumPy .npy file (it does not start with \\x93NUMPY)");
        }
      }
      if (pre.limit() < 10) throw new DataException(file + ": truncated .npy header");
      int major = pre.get(6) & 0xff;
      long headerLen;
      long start;
      if (major == 1) {
        headerLen = pre.getShort(8) & 0xffff;
        start = 10;
      } else if (major == 2 || major == 3) {
        if (pre.limit() < 12) throw new DataException(file + ": truncated .npy header");
        headerLen = pre.getInt(8) & 0xffffffffL;
        start = 12;
      } else {
        throw new DataException(file + ": .npy format version " + major + " is not supported (1, 2 or 3 are)");
      }
      if (start + headerLen > size) throw new DataException(file + ": truncated .npy header");
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      ch.read(hb, start);
      String h = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
      Matcher d = DESCR.matcher(h);
      Matcher f = FORTRAN.matcher(h);
      Matcher s = SHAPE.matcher(h);
      if (!d.find() || !f.find() || !s.find()) {
        throw new DataException(file + ": unsupported .npy header " + h.trim()
            + "; expected a plain numeric array (no structured or object dtype)");
      }
      String descr = d.group(1);
      if (descr.length() < 3) throw new DataException(file + ": unsupported dtype '" + descr + "'");
      char bo = descr.charAt(0);
      ByteOrder order = switch (bo) {
        case '<', '|' -> ByteOrder.LITTLE_ENDIAN;
        case '>' -> ByteOrder.BIG_ENDIAN;
        case '=' -> ByteOrder.nativeOrder();
        default -> throw new DataException(file + ": unsupported dtype '" + descr + "'");
      };
      char kind = descr.charAt(1);
      int item;
      try {
        item = Integer.parseInt(descr.substring(2));
      } catch (NumberFormatException e) {
        throw new DataException(file + ": unsupported dtype '" + descr + "'");
      }
      boolean ok = switch (kind) {
        case 'f' -> item == 2 || item == 4 || item == 8;
        case 'i', 'u' -> item == 1 || item == 2 || item == 4 || item == 8;
        case 'b' -> item == 1;
        default -> false;
      };
      if (!ok) {
        throw new DataException(file + ": dtype '" + descr + "' is not supported; expected float, integer or bool");
      }
      String dims = s.group(1).trim();
      long[] shape;
      if (dims.isEmpty()) {
        shape = new long[0];
      } else {
        String[] parts = dims.split(",");
        int k = 0;
        for (String p : parts) if (!p.isBlank()) k++;
        shape = new long[k];
        int i = 0;
        for (String p : parts) {
          if (p.isBlank()) continue;
          try {
            shape[i++] = Long.parseLong(p.trim().replace("L", ""));
          } catch (NumberFormatException e) {
            throw new DataException(file + ": bad shape (" + dims + ") in the .npy header");
          }
        }
      }
      Header hd = new Header(kind, item, order, f.group(1).equals("True"), shape, start + headerLen);
      long need = hd.count() * item;
      if (size - hd.dataOffset() < need) {
        throw new DataException(file + ": truncated .npy file: shape " + java.util.Arrays.toString(shape)
            + " of " + descr + " needs " + need + " data bytes, the file has " + (size - hd.dataOffset()));
      }
      return hd;
    } catch (IOException e) {
      throw new DataException(file + ": cannot read (" + e + ")", e);
    }
  }

  /** Reads every element, in C (row-major) order of the shape, into the sink. */
  static void read(Path file, Header h, Sink sink) {
    long count = h.count();
    if (count > Integer.MAX_VALUE) throw new DataException(file + ": too many elements (" + count + ")");
    long bytes = count * h.itemSize();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, h.dataOffset(), bytes).order(h.order());
      int n = (int) count;
      int rows = h.shape().length == 0 ? 1 : (int) h.shape()[0];
      int cols = rows == 0 ? 0 : (int) (count / Math.max(1, rows));
      boolean fortran = h.fortran() && h.shape().length == 2;
      if (h.fortran() && h.shape().length > 2) {
        throw new DataException(file + ": Fortran-order arrays of rank > 2 are not supported");
      }
      for (int i = 0; i < n; i++) {
        double v = value(b, i, h);
        int at = fortran ? (i % rows) * cols + (i / rows) : i;
        sink.accept(at, v);
      }
    } catch (IOException e) {
      throw new DataException(file + ": cannot read (" + e + ")", e);
    }
  }

  private static double value(ByteBuffer b, int i, Header h) {
    int s = h.itemSize();
    int p = i * s;
    switch (h.kind()) {
      case 'f':
        return s == 4 ? b.getFloat(p) : s == 8 ? b.getDouble(p) : halfToFloat(b.getShort(p));
      case 'i':
        return s == 1 ? b.get(p) : s == 2 ? b.getShort(p) : s == 4 ? b.getInt(p) : (double) b.getLong(p);
      case 'u':
        if (s == 1) return b.get(p) & 0xff;
        if (s == 2) return b.getShort(p) & 0xffff;
        if (s == 4) return b.getInt(p) & 0xffffffffL;
        long l = b.getLong(p);
        return l >= 0 ? (double) l : (double) (l >>> 1) * 2.0 + (l & 1);
      case 'b':
        return b.get(p) != 0 ? 1 : 0;
      default:
        throw new IllegalStateException("dtype kind " + h.kind());
    }
  }

  /** IEEE 754 half precision to float. */
  static float halfToFloat(short hbits) {
    int h = hbits & 0xffff;
    int sign = (h >>> 15) & 1;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    float v;
    if (exp == 0) {
      v = (float) (mant * Math.pow(2, -24));
    } else if (exp == 31) {
      v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    } else {
      v = Float.intBitsToFloat(((exp - 15 + 127) << 23) | (mant << 13));
    }
    return sign == 1 ? -v : v;
  }
}

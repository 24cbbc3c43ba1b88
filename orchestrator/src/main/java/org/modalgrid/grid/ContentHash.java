package org.modalgrid.grid;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Content-derived ids: SHA-256 of a canonical JSON form (keys sorted, numbers normalised so that
 * {@code 1}, {@code 1.0} and {@code 1.00} hash alike).
 */
public final class ContentHash {

  private static final ObjectMapper CANONICAL = JsonMapper.builder()
      .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .build();

  private ContentHash() {}

  /** The canonical JSON text of a value (records, maps, lists, numbers, strings). */
  public static String canonicalJson(Object value) {
    try {
      Object tree = CANONICAL.convertValue(value, Object.class);
      return CANONICAL.writeValueAsString(normalise(tree));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + value, e);
    }
  }

  /** Hex SHA-256 of the canonical form, cut to {@code hexDigits}. */
  public static String of(Object value, int hexDigits) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] d = md.digest(canonicalJson(value).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d).substring(0, hexDigits);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object normalise(Object o) {
    if (o instanceof Map<?, ?> m) {
      Map<String, Object> out = new TreeMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), normalise(v)));
      return out;
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object x : l) out.add(normalise(x));
      return out;
    }
    if (o instanceof Number n) {
      BigDecimal bd = new BigDecimal(n.toString()).stripTrailingZeros();
      return bd.signum() == 0 ? "0" : bd.toPlainString();
    }
    return o;
  }
}

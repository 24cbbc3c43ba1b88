package org.modalgrid.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a free-form value (a config value inside {@link RunSpec#dataset()} or {@link Cell#axes()})
 * as plain Java, the shapes Typesafe Config's {@code unwrapped()} gives: {@code Map}, {@code List},
 * {@code Integer} or {@code Long}, {@code Double}, {@code Boolean}, {@code String}. Pekko's Jackson
 * mapper carries the Scala module, which would otherwise build Scala collections that
 * {@code ConfigFactory.parseMap} refuses.
 */
public final class PlainValueDeserializer extends StdDeserializer<Object> {

  public PlainValueDeserializer() {
    super(Object.class);
  }

  @Override
  public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    return plain(p.readValueAsTree());
  }

  @Override
  public Object getNullValue(DeserializationContext ctxt) {
    return null;
  }

  static Object plain(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) return null;
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      n.fields().forEachRemaining(e -> m.put(e.getKey(), plain(e.getValue())));
      return m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>(n.size());
      n.forEach(x -> l.add(plain(x)));
      return l;
    }
    if (n.isIntegralNumber()) return n.canConvertToInt() ? (Object) n.intValue() : (Object) n.longValue();
    if (n.isNumber()) return n.doubleValue();
    if (n.isBoolean()) return n.booleanValue();
    return n.asText();
  }
}

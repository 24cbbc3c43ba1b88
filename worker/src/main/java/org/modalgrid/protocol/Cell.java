package org.modalgrid.protocol;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One point of the experiment grid: a modality subset, a training-data fraction, a seed and the
 * values of any dataset axes (for example {@code overlap}). Axes are kept sorted by name so that a
 * cell has one canonical form.
 *
 * @param subset   modality names, in the dataset's modality order
 * @param fraction share of the training split used for training, in (0, 1]
 * @param seed     seed index; selects the training sample, the initialisation and any generated data
 * @param axes     dataset axis values, by axis name
 */
public record Cell(List<String> subset, double fraction, int seed,
    @JsonDeserialize(contentUsing = PlainValueDeserializer.class) Map<String, Object> axes)
    implements CborSerializable {

  public Cell {
    subset = List.copyOf(subset);
    axes = axes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(axes));
  }

  /** Modality names joined by {@code +}, e.g. {@code fou+kar}. */
  public String subsetLabel() {
    return String.join("+", subset);
  }

  /** Human-readable label, e.g. {@code fou+kar f=0.1 overlap=0.5 seed=2}. */
  public String label() {
    StringBuilder sb = new StringBuilder(subsetLabel()).append(" f=").append(fraction);
    axes.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
    return sb.append(" seed=").append(seed).toString();
  }
}

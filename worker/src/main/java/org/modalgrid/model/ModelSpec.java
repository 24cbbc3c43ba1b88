package org.modalgrid.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.List;
import org.modalgrid.protocol.CborSerializable;

/**
 * The late-fusion architecture: per modality an encoder to {@code latentDim} units (a single
 * linear layer, or an MLP with ReLU hidden layers), concatenation, then a linear head.
 *
 * @param encoder   {@code linear} or {@code mlp}
 * @param hidden    hidden layer widths of the MLP encoder (empty for {@code linear})
 * @param latentDim latent units per modality (the paper: 128)
 */
public record ModelSpec(String encoder, List<Integer> hidden, int latentDim) implements CborSerializable {

  public ModelSpec {
    hidden = List.copyOf(hidden);
    if (!encoder.equals("linear") && !encoder.equals("mlp")) {
      throw new IllegalArgumentException("model.encoder: expected 'linear' or 'mlp', got '" + encoder + "'");
    }
    if (encoder.equals("mlp") && hidden.isEmpty()) {
      throw new IllegalArgumentException("model.hidden: the 'mlp' encoder needs at least one hidden width");
    }
    for (int h : hidden) {
      if (h < 1) throw new IllegalArgumentException("model.hidden: widths must be >= 1, got " + h);
    }
    if (latentDim < 1) throw new IllegalArgumentException("model.latent-dim: must be >= 1, got " + latentDim);
  }

  public static ModelSpec linear(int latentDim) {
    return new ModelSpec("linear", List.of(), latentDim);
  }

  /** Reads the {@code model} block. */
  public static ModelSpec from(Config c) {
    String encoder = c.getString("encoder");
    List<Integer> hidden = c.getIntList("hidden");
    if (encoder.equals("linear") && !hidden.isEmpty()) {
      throw new ConfigException.BadValue(c.origin(), "hidden",
          "the 'linear' encoder has no hidden layers; set encoder = mlp or hidden = []");
    }
    try {
      return new ModelSpec(encoder, hidden, c.getInt("latent-dim"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(c.origin(), "model", e.getMessage());
    }
  }
}

package org.modalgrid.model;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The result of end-to-end training: a frozen encoder and its head. */
public interface TrainedModel {

  /** Total latent width: latent units per modality times the number of modalities. */
  int latentDim();

  /** Frozen encoder: concatenated latent codes (rows x latentDim, FLOAT) of standardized inputs. */
  INDArray encode(List<INDArray> x);

  /** Scores encoder and head on labelled rows (classification: labels; regression: targets). */
  Evaluation evaluate(List<INDArray> x, int[] labels, float[] targets);
}

package org.modalgrid.latent;

import java.util.List;
import org.modalgrid.model.TrainedModel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Latent representation quality η of a frozen encoder (PAPER.md §3.2): a fresh head is fitted on
 * the encoder's codes of an estimation set and scored on rows it was not fitted on. Inputs are
 * the model's modalities in subset order, standardized like its training data.
 */
public final class LatentQuality {

  private LatentQuality() {}

  /**
   * Regression: η = MSE of a least-squares head fitted on the codes of ({@code fitX}, {@code fitY})
   * and scored on ({@code scoreX}, {@code scoreY}), minus the oracle risk (σ²).
   */
  public static double regressionEta(TrainedModel model, List<INDArray> fitX, float[] fitY,
      List<INDArray> scoreX, float[] scoreY, ProbeSpec spec, double oracleRisk) {
    INDArray zFit = model.encode(fitX);
    INDArray zScore = model.encode(scoreX);
    return LeastSquaresProbe.fitAndScore(zFit, fitY, zScore, scoreY, spec.ridge()) - oracleRisk;
  }

  /**
   * Classification: the cross-fitted risk (cross-entropy, error %) of a multinomial logistic head
   * on the codes of the test split. The oracle risk is unknown; it cancels in γ_S.
   */
  public static ProbeResult classificationEta(TrainedModel model, List<INDArray> testX, int[] testLabels,
      int numClasses, ProbeSpec spec, long seed) {
    return LogisticProbe.crossFit(model.encode(testX), testLabels, numClasses, spec, seed);
  }
}

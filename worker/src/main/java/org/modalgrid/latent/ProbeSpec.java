package org.modalgrid.latent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import org.modalgrid.protocol.CborSerializable;

/**
 * The latent-quality protocol (PAPER.md section 3): how the frozen encoder's fresh head is fitted
 * and scored. Written into every run record.
 *
 * @param folds          classification: cross-fitting folds over the test split's latent codes
 * @param l2             classification: L2 penalty of the multinomial logistic probe (on the mean loss,
 *                       latent codes standardized with the fitting fold's statistics)
 * @param maxIterations  classification: L-BFGS iteration cap
 * @param tolerance      classification: stop when the gradient's max-norm falls below this
 * @param fitRows        regression: fresh generator rows the least-squares head is fitted on
 * @param scoreRows      regression: further fresh rows it is scored on
 * @param ridge          regression: ridge added to the normal equations' diagonal (numerical guard)
 */
public record ProbeSpec(
    int folds, double l2, int maxIterations, double tolerance, int fitRows, int scoreRows, double ridge)
    implements CborSerializable {

  public ProbeSpec {
    check(folds >= 2, "folds", "must be >= 2, got " + folds);
    check(l2 >= 0, "l2", "must be >= 0, got " + l2);
    check(maxIterations >= 1, "max-iterations", "must be >= 1, got " + maxIterations);
    check(tolerance > 0, "tolerance", "must be > 0, got " + tolerance);
    check(fitRows >= 1, "fit-rows", "must be >= 1, got " + fitRows);
    check(scoreRows >= 1, "score-rows", "must be >= 1, got " + scoreRows);
    check(ridge >= 0, "ridge", "must be >= 0, got " + ridge);
  }

  private static void check(boolean ok, String key, String message) {
    if (!ok) throw new IllegalArgumentException("probe." + key + ": " + message);
  }

  /** Reads the {@code probe} block. */
  public static ProbeSpec from(Config c) {
    try {
      return new ProbeSpec(c.getInt("folds"), c.getDouble("l2"), c.getInt("max-iterations"),
          c.getDouble("tolerance"), c.getInt("fit-rows"), c.getInt("score-rows"), c.getDouble("ridge"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(c.origin(), "probe", e.getMessage());
    }
  }
}

package org.modalgrid.latent;

/**
 * Limited-memory BFGS for smooth unconstrained minimisation, with a backtracking line search on
 * the Armijo condition (sufficient decrease c₁ = 10⁻⁴, safeguarded quadratic interpolation of the
 * step). The first step is scaled to unit length; later ones use the usual initial Hessian
 * γ = sᵀy / yᵀy. Pairs with sᵀy ≤ 0 are skipped, so the search direction stays a descent one.
 */
final class Lbfgs {

  private Lbfgs() {}

  /** f(x), with its gradient written into {@code gradient}. */
  interface Objective {
    double valueAndGradient(double[] x, double[] gradient);
  }

  /**
   * @param iterations      accepted steps taken
   * @param converged       the gradient's max-norm reached the tolerance
   * @param gradientMaxNorm max |∂f/∂xᵢ| at {@code x}
   */
  record Result(double[] x, double value, double gradientMaxNorm, int iterations, boolean converged) {}

  static Result minimize(Objective f, double[] x0, int maxIterations, double tolerance, int memory) {
    int n = x0.length;
    double[] x = x0.clone();
    double[] g = new double[n];
    double fx = f.valueAndGradient(x, g);
    double[][] s = new double[memory][];
    double[][] y = new double[memory][];
    double[] rho = new double[memory];
    double[] alpha = new double[memory];
    int stored = 0;
    int newest = -1;
    double[] d = new double[n];
    double[] xNew = new double[n];
    double[] gNew = new double[n];
    double[] sk = new double[n];
    double[] yk = new double[n];
    int iter = 0;
    while (true) {
      double gMax = maxAbs(g);
      if (!Double.isFinite(fx) || !Double.isFinite(gMax)) {
        throw new ArithmeticException("L-BFGS: objective or gradient is not finite (" + fx + ")");
      }
      if (gMax <= tolerance) return new Result(x, fx, gMax, iter, true);
      if (iter >= maxIterations) return new Result(x, fx, gMax, iter, false);

      // two-loop recursion: d = -H g
      System.arraycopy(g, 0, d, 0, n);
      for (int m = 0; m < stored; m++) {
        int i = Math.floorMod(newest - m, memory);
        alpha[i] = rho[i] * dot(s[i], d);
        axpy(-alpha[i], y[i], d);
      }
      double gamma = stored > 0 ? 1.0 / (rho[newest] * dot(y[newest], y[newest])) : 1.0 / Math.sqrt(dot(g, g));
      scale(gamma, d);
      for (int m = stored - 1; m >= 0; m--) {
        int i = Math.floorMod(newest - m, memory);
        double beta = rho[i] * dot(y[i], d);
        axpy(alpha[i] - beta, s[i], d);
      }
      scale(-1, d);
      double gd = dot(g, d);
      if (!(gd < 0)) { // not a descent direction (numerical trouble): restart from steepest descent
        stored = 0;
        System.arraycopy(g, 0, d, 0, n);
        scale(-1.0 / Math.sqrt(dot(g, g)), d);
        gd = dot(g, d);
      }

      // backtracking line search (Armijo)
      double step = 1.0;
      double fNew = Double.NaN;
      boolean accepted = false;
      for (int trial = 0; trial < 60; trial++) {
        for (int j = 0; j < n; j++) xNew[j] = x[j] + step * d[j];
        fNew = f.valueAndGradient(xNew, gNew);
        if (Double.isFinite(fNew) && fNew <= fx + 1e-4 * step * gd) {
          accepted = true;
          break;
        }
        double next = Double.isFinite(fNew) ? -gd * step * step / (2 * (fNew - fx - gd * step)) : 0;
        step = Math.min(0.5 * step, Math.max(0.1 * step, Double.isFinite(next) ? next : 0));
      }
      if (!accepted) return new Result(x, fx, gMax, iter, false); // no decrease left at double precision

      for (int j = 0; j < n; j++) {
        sk[j] = xNew[j] - x[j];
        yk[j] = gNew[j] - g[j];
      }
      double sy = dot(sk, yk);
      if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
        int slot = (newest + 1) % memory;
        double[] evictedS = s[slot];
        double[] evictedY = y[slot];
        s[slot] = sk;
        y[slot] = yk;
        sk = evictedS == null ? new double[n] : evictedS;
        yk = evictedY == null ? new double[n] : evictedY;
        rho[slot] = 1.0 / sy;
        newest = slot;
        stored = Math.min(stored + 1, memory);
      }
      double[] t = x;
      x = xNew;
      xNew = t;
      t = g;
      g = gNew;
      gNew = t;
      fx = fNew;
      iter++;
    }
  }

  static double dot(double[] a, double[] b) {
    double r = 0;
    for (int i = 0; i < a.length; i++) r += a[i] * b[i];
    return r;
  }

  private static void axpy(double a, double[] x, double[] y) {
    for (int i = 0; i < y.length; i++) y[i] += a * x[i];
  }

  private static void scale(double a, double[] x) {
    for (int i = 0; i < x.length; i++) x[i] *= a;
  }

  static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) m = Math.max(m, Math.abs(v));
    return m;
  }
}

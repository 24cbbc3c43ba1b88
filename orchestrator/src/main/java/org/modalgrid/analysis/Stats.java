package org.modalgrid.analysis;

import java.util.List;

/** Mean and sample standard deviation (n - 1; NaN below two values). */
public record Stats(int n, double mean, double std) {

  public static Stats of(List<Double> xs) {
    int n = xs.size();
    if (n == 0) return new Stats(0, Double.NaN, Double.NaN);
    double sum = 0;
    for (double x : xs) sum += x;
    double mean = sum / n;
    if (n < 2) return new Stats(1, mean, Double.NaN);
    double ss = 0;
    for (double x : xs) ss += (x - mean) * (x - mean);
    return new Stats(n, mean, Math.sqrt(ss / (n - 1)));
  }
}

package org.modalgrid.data;

/** What the labels are: class indices (softmax cross-entropy) or real targets (squared error). */
public enum Task {
  CLASSIFICATION,
  REGRESSION;

  public static Task parse(String s, String where) {
    return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "classification" -> CLASSIFICATION;
      case "regression" -> REGRESSION;
      default -> throw new IllegalArgumentException(
          where + ": expected 'classification' or 'regression', got '" + s + "'");
    };
  }
}

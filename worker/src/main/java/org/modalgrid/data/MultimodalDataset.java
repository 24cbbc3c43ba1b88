package org.modalgrid.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Named modalities over the same n rows, with class labels or regression targets and a
 * train/test split. Feature matrices are n x d_k, FLOAT, 'c' order, unstandardized.
 *
 * <p>A generated dataset may also offer a {@link FreshSampler}: fresh rows from the same
 * generator, which the regression latent-quality protocol fits and scores its probe on; and
 * an oracle risk (the Bayes risk r(h*∘g*), e.g. sigma^2), NaN when unknown.
 */
public final class MultimodalDataset {

  private final String name;
  private final Task task;
  private final LinkedHashMap<String, INDArray> features;
  private final int[] labels;
  private final float[] targets;
  private final int numClasses;
  private final int[] trainRows;
  private final int[] testRows;
  private final FreshSampler freshSampler;
  private final double oracleRisk;

  private MultimodalDataset(
      String name, Task task, Map<String, INDArray> features, int[] labels, float[] targets,
      int numClasses, int[] trainRows, int[] testRows, FreshSampler freshSampler, double oracleRisk) {
    this.name = name;
    this.task = task;
    this.features = new LinkedHashMap<>(features);
    this.labels = labels;
    this.targets = targets;
    this.numClasses = numClasses;
    this.trainRows = trainRows;
    this.testRows = testRows;
    this.freshSampler = freshSampler;
    this.oracleRisk = oracleRisk;
    validate();
  }

  public static MultimodalDataset classification(
      String name, Map<String, INDArray> features, int[] labels, int numClasses,
      int[] trainRows, int[] testRows) {
    return new MultimodalDataset(name, Task.CLASSIFICATION, features, labels, null, numClasses,
        trainRows, testRows, null, Double.NaN);
  }

  public static MultimodalDataset regression(
      String name, Map<String, INDArray> features, float[] targets, int[] trainRows,
      int[] testRows, FreshSampler freshSampler, double oracleRisk) {
    return new MultimodalDataset(name, Task.REGRESSION, features, null, targets, 0,
        trainRows, testRows, freshSampler, oracleRisk);
  }

  private void validate() {
    if (features.isEmpty()) {
      throw new DataException(name + ": a dataset needs at least one modality");
    }
    long n = -1;
    String first = null;
    for (var e : features.entrySet()) {
      INDArray x = e.getValue();
      if (x.rank() != 2) {
        throw new DataException(name + ": modality '" + e.getKey() + "' must be a matrix, has rank " + x.rank());
      }
      if (n < 0) {
        n = x.rows();
        first = e.getKey();
      } else if (x.rows() != n) {
        throw new DataException(name + ": modality '" + e.getKey() + "' has " + x.rows()
            + " rows but '" + first + "' has " + n);
      }
    }
    int yLen = task == Task.CLASSIFICATION ? labels.length : targets.length;
    if (yLen != n) {
      throw new DataException(name + ": " + yLen + " labels for " + n + " rows");
    }
    if (task == Task.CLASSIFICATION) {
      if (numClasses < 2) {
        throw new DataException(name + ": classification needs at least 2 classes, got " + numClasses);
      }
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] < 0 || labels[i] >= numClasses) {
          throw new DataException(name + ": label " + labels[i] + " at row " + (i + 1)
              + " is outside 0.." + (numClasses - 1));
        }
      }
    }
    if (trainRows.length == 0) {
      throw new DataException(name + ": the training split is empty");
    }
    if (testRows.length == 0) {
      throw new DataException(name + ": the test split is empty");
    }
    for (int r : trainRows) {
      if (r < 0 || r >= n) throw new DataException(name + ": training row " + r + " out of range");
    }
    for (int r : testRows) {
      if (r < 0 || r >= n) throw new DataException(name + ": test row " + r + " out of range");
    }
  }

  public String name() { return name; }
  public Task task() { return task; }
  public List<String> modalities() { return new ArrayList<>(features.keySet()); }
  public INDArray features(String modality) {
    INDArray x = features.get(modality);
    if (x == null) {
      throw new DataException(name + ": no modality '" + modality + "'; it has " + features.keySet());
    }
    return x;
  }
  public int dim(String modality) { return (int) features(modality).columns(); }
  public int rows() { return (int) features.values().iterator().next().rows(); }
  /** Class index per row (classification only). */
  public int[] labels() { return labels; }
  /** Target per row (regression only). */
  public float[] targets() { return targets; }
  public int numClasses() { return numClasses; }
  public int[] trainRows() { return trainRows; }
  public int[] testRows() { return testRows; }
  public java.util.Optional<FreshSampler> freshSampler() { return java.util.Optional.ofNullable(freshSampler); }
  public double oracleRisk() { return oracleRisk; }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(name).append(" (").append(task.name().toLowerCase()).append(", ")
        .append(rows()).append(" rows, train ").append(trainRows.length).append(", test ").append(testRows.length);
    features.forEach((k, v) -> sb.append(", ").append(k).append(' ').append(v.columns()));
    if (task == Task.CLASSIFICATION) sb.append(", ").append(numClasses).append(" classes");
    return sb.append(')').toString();
  }

  /** Row counts per class over the given rows (classification only). */
  public int[] classCounts(int[] rows) {
    int[] c = new int[numClasses];
    for (int r : rows) c[labels[r]]++;
    return c;
  }

  static int[] range(int from, int to) {
    int[] r = new int[to - from];
    Arrays.setAll(r, i -> from + i);
    return r;
  }
}

package org.modalgrid.data;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Fresh rows from a dataset's generator, for estimating population quantities. */
public interface FreshSampler {

  /** Fresh rows: features by modality (rows x d_k, FLOAT, 'c') and their targets. */
  Sample draw(int rows, long seed);

  record Sample(Map<String, INDArray> features, float[] targets) {}
}

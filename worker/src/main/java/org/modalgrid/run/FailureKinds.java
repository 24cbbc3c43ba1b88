package org.modalgrid.run;

import com.typesafe.config.ConfigException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.modalgrid.data.DataException;
import org.modalgrid.data.DataFetchException;
import org.modalgrid.model.TrainingCancelledException;
import org.modalgrid.model.TrainingDivergedException;

/** Classifies why a run failed, for people and for the retry policy. */
public final class FailureKinds {

  /** @param retryable whether trying the same run again may succeed */
  public record Classified(String kind, String reason, boolean retryable) {}

  private FailureKinds() {}

  public static Classified classify(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof TrainingDivergedException) return new Classified("diverged", e.getMessage(), false);
    if (e instanceof TrainingCancelledException) return new Classified("cancelled", e.getMessage(), false);
    if (e instanceof DataException) return new Classified("data", e.getMessage(), false);
    if (e instanceof DataFetchException) return new Classified("fetch", e.getMessage(), true);
    if (e instanceof ConfigException) return new Classified("config", e.getMessage(), false);
    if (e instanceof OutOfMemoryError) {
      return new Classified("resources", "out of memory: " + e.getMessage(), true);
    }
    String msg = e.getMessage() == null ? "" : ": " + e.getMessage();
    return new Classified("error", e.getClass().getSimpleName() + msg, false);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}

package org.modalgrid.cli;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.modalgrid.store.ResultStore;

/** Which result store a command uses: {@code --store}, else {@code modalgrid.store.url}, else the default. */
final class StoreOption {

  /** The {@code --store} value that keeps results in memory only. */
  static final String NONE = "none";

  private StoreOption() {}

  /**
   * @param option      the {@code --store} value, or null
   * @param defaultFile the default embedded store when neither the option nor the config names one
   */
  static String location(String option, Path defaultFile) {
    if (option != null && !option.isBlank()) return option.strip();
    String configured = ConfigFactory.load().getString("modalgrid.store.url");
    if (!configured.isBlank()) return configured.strip();
    return defaultFile.toString();
  }

  static Path defaultFile(Path runsDir) {
    return runsDir.resolve(Path.of(ResultStore.DEFAULT_LOCATION).getFileName());
  }

  /** Opens the store for writing, or returns null for {@link #NONE}. */
  static ResultStore open(String location) {
    return NONE.equalsIgnoreCase(location) ? null : ResultStore.open(location);
  }
}

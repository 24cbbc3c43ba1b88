package org.modalgrid.grid;

/** A bad experiment config: the message names the file, the key and what was expected. */
public class ConfigError extends RuntimeException {
  public ConfigError(String message) { super(message); }
  public ConfigError(String message, Throwable cause) { super(message, cause); }
}

package org.modalgrid.data;

/**
 * Bad or missing data. The message is for a person: it names the file, the row and column or
 * the config key, and says what was expected.
 */
public class DataException extends RuntimeException {
  public DataException(String message) { super(message); }
  public DataException(String message, Throwable cause) { super(message, cause); }
}

package org.modalgrid.data;

/**
 * A dataset file could not be fetched from the orchestrator (connection refused, timeout, an
 * HTTP error). Unlike a {@link DataException}, trying again, possibly on another worker, may work.
 */
public class DataFetchException extends RuntimeException {
  public DataFetchException(String message, Throwable cause) { super(message, cause); }
}

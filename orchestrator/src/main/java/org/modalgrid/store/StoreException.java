package org.modalgrid.store;

/**
 * The result store refused to open, or a read or write failed. The message is for people: which
 * store, what was being done, what went wrong, and what to do about it.
 */
public class StoreException extends RuntimeException {

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}

package org.modalgrid.orchestrator;

/** Where a run stands. SUCCEEDED, FAILED and CANCELLED are terminal until a retry. */
public enum RunState {
  QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static RunState parse(String s) {
    for (RunState r : values()) if (r.label().equalsIgnoreCase(s)) return r;
    throw new IllegalArgumentException("unknown state '" + s + "'; expected one of queued, running, succeeded, failed, cancelled");
  }
}

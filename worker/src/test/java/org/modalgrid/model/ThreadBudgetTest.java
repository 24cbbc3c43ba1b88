package org.modalgrid.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ThreadBudgetTest {

  private final int processors = Runtime.getRuntime().availableProcessors();

  @AfterEach
  void restore() {
    ThreadBudget.apply(processors);
  }

  @Test
  void budgetReachesLibnd4jOpenMpAndBlas() {
    ThreadBudget.apply(1);
    ThreadBudget.Counts one = ThreadBudget.current();
    assertEquals(1, one.nd4jMasterThreads());
    assertEquals(1, one.ompThreads());
    assertEquals(1, one.blasThreads());
    assertTrue(one.matches(1), one.toString());

    // libnd4j caps its pool at the processor count, so the largest budget that sticks is that
    ThreadBudget.apply(processors);
    ThreadBudget.Counts all = ThreadBudget.current();
    assertEquals(processors, all.nd4jMasterThreads());
    assertEquals(processors, all.blasThreads());
    assertEquals(ThreadBudget.ompThreads(processors), all.ompThreads());
    assertTrue(all.matches(processors), all.toString());
  }

  @Test
  void openMpStaysAtOneThreadUnlessItsWorkersSleep() {
    String policy = System.getenv("OMP_WAIT_POLICY");
    boolean passive = policy != null && policy.trim().equalsIgnoreCase("passive");
    assertEquals(passive ? 4 : 1, ThreadBudget.ompThreads(4));
  }

  @Test
  void nonPositiveBudgetIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadBudget.apply(0));
    assertEquals("threads: must be >= 1, got 0", e.getMessage());
  }
}

package org.modalgrid.worker;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class DevicesTest {

  @Test
  void cpuCountsExpandToSlotsAndGpusAreListed() {
    assertEquals(List.of("cpu:0", "cpu:1"), Devices.parse("cpu:2"));
    assertEquals(List.of("cuda:0", "cuda:1"), Devices.parse("cuda:0,cuda:1"));
    assertEquals(List.of("cpu:0", "cuda:3"), Devices.parse(" cpu:1 , CUDA:3 "));
    assertEquals(3, Devices.cudaIndex("cuda:3"));
  }

  @Test
  void badDeviceListsSayWhatWasExpected() {
    for (String bad : List.of("", "cpu", "cpu:0", "gpu:1", "cuda:x", "cuda:0,cuda:0", "cuda:-1")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("--devices: "), e.getMessage());
    }
  }

  @Test
  void slotsShareTheCoresUnlessTheBudgetIsSet() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(Math.max(1, cores / 2), Devices.threadsPerSlot(List.of("cpu:0", "cpu:1"), 0));
    assertEquals(Math.max(1, cores / 64), Devices.threadsPerSlot(Devices.parse("cpu:64"), 0));
    assertEquals(3, Devices.threadsPerSlot(List.of("cpu:0"), 3));
  }

  @Test
  void theCpuBuildRefusesCudaSlotsAndNeverBindsThem() {
    if (!Nd4j.getEnvironment().isCPU()) return; // the -Pcuda build
    assertDoesNotThrow(() -> Devices.checkAvailable(Devices.parse("cpu:2")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Devices.checkAvailable(Devices.parse("cpu:1,cuda:0")));
    assertTrue(e.getMessage().contains("cuda:0 needs the CUDA build"), e.getMessage());
    assertTrue(e.getMessage().contains("-Pcuda"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> Devices.bindCurrentThread("cuda:1"));
    assertDoesNotThrow(() -> Devices.bindCurrentThread("cpu:0"));
  }
}

package org.modalgrid.worker;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Device slots of a worker node. A slot runs one run at a time. {@code cpu:N} offers N CPU slots
 * ({@code cpu:0} .. {@code cpu:N-1}), sharing the node's cores; {@code cuda:K} offers one slot on
 * GPU K (CUDA build only). Lists are comma-separated: {@code cuda:0,cuda:1} or {@code cpu:2,cuda:0}.
 */
public final class Devices {

  private Devices() {}

  /** The slots of a device list such as {@code cpu:2} or {@code cuda:0,cuda:1}, in order. */
  public static List<String> parse(String spec) {
    if (spec == null || spec.isBlank()) throw new IllegalArgumentException("--devices: empty; expected e.g. cpu:2 or cuda:0,cuda:1");
    Set<String> out = new LinkedHashSet<>();
    for (String raw : spec.split(",")) {
      String part = raw.trim().toLowerCase(java.util.Locale.ROOT);
      int colon = part.indexOf(':');
      String kind = colon < 0 ? part : part.substring(0, colon);
      String num = colon < 0 ? "" : part.substring(colon + 1);
      int n;
      try {
        n = Integer.parseInt(num);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--devices: '" + raw.trim() + "' is not a device; expected cpu:N (N CPU slots)"
            + " or cuda:K (GPU K), e.g. cpu:2 or cuda:0,cuda:1");
      }
      switch (kind) {
        case "cpu" -> {
          if (n < 1) throw new IllegalArgumentException("--devices: cpu:" + n + " offers no slot; use cpu:1 or more");
          int first = (int) out.stream().filter(Devices::isCpu).count();
          for (int i = 0; i < n; i++) out.add("cpu:" + (first + i));
        }
        case "cuda" -> {
          if (n < 0) throw new IllegalArgumentException("--devices: cuda:" + n + " is not a GPU index");
          if (!out.add("cuda:" + n)) throw new IllegalArgumentException("--devices: cuda:" + n + " is listed twice");
        }
        default -> throw new IllegalArgumentException("--devices: unknown device kind '" + kind
            + "' in '" + raw.trim() + "'; expected cpu:N or cuda:K");
      }
    }
    return List.copyOf(out);
  }

  public static boolean isCpu(String device) { return device.startsWith("cpu:"); }

  public static boolean isCuda(String device) { return device.startsWith("cuda:"); }

  /** The GPU index of a {@code cuda:K} slot. */
  public static int cudaIndex(String device) {
    if (!isCuda(device)) throw new IllegalArgumentException(device + " is not a CUDA device");
    return Integer.parseInt(device.substring(5));
  }

  /** ND4J threads per slot so that the slots together use the node's cores once. */
  public static int threadsPerSlot(List<String> slots, int configured) {
    if (configured > 0) return configured;
    int cores = Runtime.getRuntime().availableProcessors();
    return Math.max(1, cores / Math.max(1, slots.size()));
  }

  /**
   * Refuses slots this build cannot serve: {@code cuda:K} needs the CUDA build ({@code mvn -Pcuda
   * package}) and a GPU K on this machine.
   */
  public static void checkAvailable(List<String> slots) {
    List<String> cuda = new ArrayList<>();
    for (String s : slots) if (isCuda(s)) cuda.add(s);
    if (cuda.isEmpty()) return;
    if (Nd4j.getEnvironment().isCPU()) {
      throw new IllegalArgumentException("--devices: " + String.join(",", cuda) + " needs the CUDA build of modalgrid"
          + " (mvn -Pcuda -DskipTests package), but this build's ND4J backend is the CPU one ("
          + Nd4j.getBackend().getClass().getSimpleName() + "); use cpu:N here");
    }
    int gpus = Nd4j.getAffinityManager().getNumberOfDevices();
    for (String s : cuda) {
      if (cudaIndex(s) >= gpus) {
        throw new IllegalArgumentException("--devices: " + s + " does not exist; this machine has " + gpus
            + " GPU(s): cuda:0" + (gpus > 1 ? " .. cuda:" + (gpus - 1) : ""));
      }
    }
  }

  /**
   * Binds the calling (training) thread to the slot's device: for {@code cuda:K} ND4J's affinity
   * manager places this thread's arrays and kernels on GPU K; CPU slots need nothing. Never
   * reaches the affinity manager on the CPU backend.
   */
  public static void bindCurrentThread(String device) {
    if (!isCuda(device)) return;
    if (Nd4j.getEnvironment().isCPU()) {
      throw new IllegalStateException(device + " cannot be used: this build's ND4J backend is the CPU one");
    }
    Nd4j.getAffinityManager().unsafeSetDevice(cudaIndex(device));
  }
}

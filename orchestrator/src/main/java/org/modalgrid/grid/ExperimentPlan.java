package org.modalgrid.grid;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.modalgrid.data.Task;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunSpec;

/**
 * An experiment expanded into runs: subsets x dataset axes x fractions x seeds. Runs are ordered
 * seed-major, so that every cell gets its first result before any cell gets its second.
 *
 * @param experimentId content-derived: the name plus a hash of every run id
 * @param modalities   the dataset's modalities, in order
 * @param subsets      the subsets of the grid, smallest first
 */
public record ExperimentPlan(String experimentId, ExperimentConfig config, List<String> modalities, Task task,
    int numClasses, List<List<String>> subsets, List<RunSpec> runs) {

  public Chaos chaos() {
    return config.chaos();
  }

  public List<String> axisNames() {
    return new ArrayList<>(config.grid().axes().keySet());
  }

  public static ExperimentPlan build(ExperimentConfig cfg, List<String> modalities, Task task, int numClasses) {
    return build(cfg, modalities, task, numClasses, dataset -> Map.of());
  }

  /**
   * @param filesOf the files a resolved dataset block reads, name to SHA-256 (see
   *                {@link org.modalgrid.data.DataFiles#manifest}); they become part of each run
   *                (its id included: other file content, other numbers, another run)
   */
  public static ExperimentPlan build(ExperimentConfig cfg, List<String> modalities, Task task, int numClasses,
      java.util.function.Function<Map<String, Object>, Map<String, String>> filesOf) {
    GridSettings g = cfg.grid();
    List<List<String>> subsets = subsets(g, modalities, cfg.source());
    List<Map<String, Object>> axisPoints = GridSettings.axisPoints(g.axes());
    List<Cell> cells = new ArrayList<>();
    for (int seed : g.seeds()) {
      for (Map<String, Object> point : axisPoints) {
        for (double f : g.fractions()) {
          for (List<String> s : subsets) cells.add(new Cell(s, f, seed, point));
        }
      }
    }
    List<RunSpec> runs = new ArrayList<>(cells.size());
    Map<String, Map<String, Object>> datasetByPoint = new LinkedHashMap<>();
    Map<Map<String, Object>, Map<String, String>> filesByDataset = new java.util.HashMap<>();
    List<String> ids = new ArrayList<>();
    for (Cell c : cells) {
      Map<String, Object> ds = datasetByPoint.computeIfAbsent(ContentHash.canonicalJson(c.axes()),
          k -> cfg.datasetMapFor(c.axes()));
      Map<String, String> files = filesByDataset.computeIfAbsent(ds, filesOf);
      String runId = runId(c, ds, files, cfg);
      ids.add(runId);
      runs.add(new RunSpec(runId, null, c, ds, cfg.model(), cfg.train(), cfg.probe(), false, files));
    }
    String experimentId = g.name() + "-" + ContentHash.of(ids.stream().sorted().toList(), 8);
    List<RunSpec> withExperiment = runs.stream().map(r -> r.withExperiment(experimentId)).toList();
    return new ExperimentPlan(experimentId, cfg, List.copyOf(modalities), task, numClasses, subsets, withExperiment);
  }

  /**
   * The id of a run: a hash of its cell and every setting that affects its numbers. Equal content
   * gives equal ids, whichever experiment asks.
   */
  public static String runId(Cell cell, Map<String, Object> dataset, ExperimentConfig cfg) {
    return runId(cell, dataset, Map.of(), cfg);
  }

  /** The same, with the SHA-256 of the dataset's files (none for generated data: ids as without). */
  public static String runId(Cell cell, Map<String, Object> dataset, Map<String, String> files, ExperimentConfig cfg) {
    Map<String, Object> content = new LinkedHashMap<>();
    content.put("subset", cell.subset());
    content.put("fraction", cell.fraction());
    content.put("seed", cell.seed());
    content.put("dataset", dataset);
    content.put("model", cfg.model());
    content.put("train", cfg.train());
    content.put("probe", cfg.probe());
    if (!files.isEmpty()) content.put("files", new java.util.TreeMap<>(files));
    return "r" + ContentHash.of(content, 12);
  }

  static List<List<String>> subsets(GridSettings g, List<String> modalities, String source) {
    List<List<String>> out = new ArrayList<>();
    int k = modalities.size();
    switch (g.subsetMode()) {
      case "all" -> {
        if (k > 16) throw new ConfigError(source + ": experiment.subsets = all over " + k + " modalities is too many; list the subsets");
        for (int mask = 1; mask < (1 << k); mask++) {
          List<String> s = new ArrayList<>();
          for (int i = 0; i < k; i++) if ((mask & (1 << i)) != 0) s.add(modalities.get(i));
          out.add(s);
        }
      }
      case "prefixes" -> {
        for (int j = 1; j <= k; j++) out.add(new ArrayList<>(modalities.subList(0, j)));
      }
      case "singletons-and-full" -> {
        for (String m : modalities) out.add(List.of(m));
        if (k > 1) out.add(new ArrayList<>(modalities));
      }
      case "list" -> {
        for (List<String> s : g.subsetList()) {
          for (String m : s) {
            if (!modalities.contains(m)) {
              throw new ConfigError(source + ": experiment.subsets: unknown modality '" + m + "' in " + s
                  + "; the dataset has " + modalities);
            }
          }
          List<String> ordered = new ArrayList<>(s);
          ordered.sort(Comparator.comparingInt(modalities::indexOf));
          if (out.contains(ordered)) {
            throw new ConfigError(source + ": experiment.subsets: " + s + " is listed twice");
          }
          out.add(ordered);
        }
      }
      default -> throw new IllegalStateException(g.subsetMode());
    }
    out.sort(Comparator.<List<String>>comparingInt(List::size).thenComparing(s -> key(s, modalities)));
    return out.stream().map(List::copyOf).toList();
  }

  private static String key(List<String> s, List<String> modalities) {
    StringBuilder sb = new StringBuilder();
    for (String m : s) sb.append((char) ('A' + modalities.indexOf(m)));
    return sb.toString();
  }
}

package org.modalgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modalgrid.store.ResultStore;

/** {@code run --store/--resume/--extend} and {@code export} on the smoke config, with real training. */
class DurableRunCommandTest {

  static final String SMOKE = RunCommandTest.SMOKE.toString();

  @Test
  void runResumeExtendAndExportAgree(@TempDir Path tmp) throws Exception {
    String store = tmp.resolve("store/modalgrid.db").toString();
    Path a = tmp.resolve("a");
    RunCommandTest.Result first = RunCommandTest.run("run", SMOKE, "--out", a.toString(), "--workers", "2", "--no-ui",
        "--store", store);
    assertEquals(0, first.code(), first.out() + first.err());
    assertTrue(first.out().contains("12 of 12 runs succeeded"), first.out());
    JsonNode about = new ObjectMapper().readTree(Files.readString(a.resolve("experiment.json")));
    String id = about.get("experiment").asText();
    assertEquals(Path.of(store).toString(), about.get("store").asText());

    // resuming a finished experiment runs nothing and rewrites the same files
    String runsBefore = Files.readString(a.resolve("runs.jsonl"));
    String tablesBefore = Files.readString(a.resolve("tables/gamma.csv"));
    RunCommandTest.Result resumed = RunCommandTest.run("run", "--resume", a.toString(), "--no-ui", "--workers", "2");
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("12 of 12 runs succeeded") && resumed.out().contains("(0 run now"), resumed.out());
    assertEquals(runsBefore, Files.readString(a.resolve("runs.jsonl")));
    assertEquals(tablesBefore, Files.readString(a.resolve("tables/gamma.csv")));

    // another config is not the same experiment
    RunCommandTest.Result wrong = RunCommandTest.run("run", SMOKE, "--set", "experiment.seeds=3", "--resume", a.toString());
    assertEquals(2, wrong.code());
    assertTrue(wrong.err().contains("--extend"), wrong.err());

    // growing it to 3 seeds runs only seed 2
    Path c = tmp.resolve("c");
    RunCommandTest.Result grown = RunCommandTest.run("run", SMOKE, "--set", "experiment.seeds=3", "--extend", a.toString(),
        "--out", c.toString(), "--workers", "2", "--no-ui");
    assertEquals(0, grown.code(), grown.out() + grown.err());
    assertTrue(grown.out().contains("12 of 18 runs are finished already; 6 to run"), grown.out());
    assertTrue(grown.out().contains("18 of 18 runs succeeded") && grown.out().contains("(6 run now"), grown.out());
    List<String> lines = Files.readAllLines(c.resolve("runs.jsonl"));
    assertEquals(18, lines.size());
    long reran = lines.stream().filter(l -> l.contains("\"seed\":0") || l.contains("\"seed\":1"))
        .filter(l -> !runsBefore.contains(l.substring(0, l.indexOf(",\"experiment\"")))).count();
    assertEquals(0, reran, "seeds 0 and 1 keep their runs");
    String grownId = new ObjectMapper().readTree(Files.readString(c.resolve("experiment.json"))).get("experiment").asText();

    // export regenerates the folders from the store alone
    for (var e : List.of(java.util.Map.entry(id, a), java.util.Map.entry(grownId, c))) {
      Path out = tmp.resolve("export-" + e.getKey());
      RunCommandTest.Result ex = RunCommandTest.run("export", e.getKey(), "--out", out.toString(), "--store", store);
      assertEquals(0, ex.code(), ex.out() + ex.err());
      assertEquals(Files.readString(e.getValue().resolve("runs.jsonl")), Files.readString(out.resolve("runs.jsonl")));
      for (String t : List.of("accuracy", "fractions", "gamma", "eta")) {
        for (String fmt : List.of("csv", "md", "json")) {
          String name = "tables/" + t + "." + fmt;
          assertEquals(Files.readString(e.getValue().resolve(name)), Files.readString(out.resolve(name)), name);
        }
      }
    }
    RunCommandTest.Result unknown = RunCommandTest.run("export", "nope", "--out", tmp.resolve("x").toString(), "--store", store);
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("no experiment 'nope'") && unknown.err().contains(id), unknown.err());
  }

  @Test
  void aStoreInUseIsRefusedWithTheHolder(@TempDir Path tmp) {
    String store = tmp.resolve("modalgrid.db").toString();
    try (ResultStore held = ResultStore.open(store)) {
      RunCommandTest.Result r = RunCommandTest.run("run", SMOKE, "--store", store, "--no-ui", "--out", tmp.resolve("o").toString());
      assertEquals(2, r.code());
      assertTrue(r.err().contains(store) && r.err().contains("in use by") && r.err().contains("pid"), r.err());
    }
  }
}

package org.modalgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code run} command end to end on {@code configs/smoke.conf}: grid, training, eta, tables, files. */
class RunCommandTest {

  static final Path SMOKE = Path.of("..", "configs", "smoke.conf");

  public record Result(int code, String out, String err) {}

  public static Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cl = Main.commandLine();
      StringWriter cliErr = new StringWriter();
      cl.setErr(new PrintWriter(cliErr));
      int code = cl.execute(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + cliErr);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void smokeConfigRunsEndToEndAndWritesEveryOutput(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("smoke");
    Result r = run("run", SMOKE.toString(), "--out", out.toString(), "--workers", "2", "--no-ui",
        "--store", tmp.resolve("modalgrid.db").toString());
    assertEquals(0, r.code(), r.out() + r.err());
    // 3 subsets x 2 fractions x 2 seeds
    assertTrue(r.out().contains("[12/12] ok"), r.out());
    assertTrue(r.out().contains("12 of 12 runs succeeded"), r.out());
    assertTrue(r.out().contains("### gamma_S(M,N)"), r.out());

    assertTrue(Files.readString(out.resolve("config.conf")).contains("smoke"));
    List<String> lines = Files.readAllLines(out.resolve("runs.jsonl"));
    assertEquals(12, lines.size());
    ObjectMapper m = new ObjectMapper();
    Set<String> ids = new HashSet<>();
    for (String line : lines) {
      JsonNode j = m.readTree(line);
      ids.add(j.get("id").asText());
      assertEquals("succeeded", j.get("status").asText());
      assertEquals(1, j.get("attempts").size());
      double acc = j.get("metrics").get("accuracy").asDouble();
      assertTrue(acc > 100.0 / 3 && acc <= 100, "better than chance on 3 classes: " + acc);
      assertTrue(j.get("eta").get("eta_ce").asDouble() > 0);
      assertEquals(15, j.get("history").size());
      assertTrue(j.get("device").asText().startsWith("cpu:"));
    }
    assertEquals(12, ids.size());
    for (String t : List.of("accuracy", "fractions", "gamma", "eta")) {
      for (String f : List.of("md", "csv", "json")) {
        assertTrue(Files.size(out.resolve("tables").resolve(t + "." + f)) > 0, t + "." + f);
      }
    }
    List<String> acc = Files.readAllLines(out.resolve("tables/accuracy.csv"));
    assertEquals("subset,fraction,n,accuracy_mean,accuracy_std,test_ce_mean,test_ce_std", acc.get(0));
    assertEquals(4, acc.size());
    assertTrue(acc.get(1).startsWith("a,1.0,2,"), acc.get(1));
    List<String> gamma = Files.readAllLines(out.resolve("tables/gamma.csv"));
    assertEquals(1 + 2 * 2, gamma.size(), "pairs (a+b,a) and (a+b,b) at two fractions");
  }

  @Test
  void badConfigExitsTwoNamingTheKey(@TempDir Path tmp) throws Exception {
    Result r = run("run", SMOKE.toString(), "--set", "train.epoch=3", "--out", tmp.resolve("x").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("train.epoch") && r.err().contains("did you mean"), r.err());
    assertTrue(!Files.exists(tmp.resolve("x")), "nothing is written for a refused config");
  }

  @Test
  void helpListsCommandsAndOptions() {
    Result top = run("--help");
    assertEquals(0, top.code());
    assertTrue(top.out().contains("run"), top.out());
    Result sub = run("run", "--help");
    assertEquals(0, sub.code());
    for (String opt : List.of("--out", "--set", "-D", "--workers")) assertTrue(sub.out().contains(opt), opt);
  }
}

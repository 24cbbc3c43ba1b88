package org.modalgrid.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.model.LateFusionTrainer;
import org.modalgrid.orchestrator.Orchestrator;
import org.modalgrid.run.RunExecutor;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The leaderboard in a real headless Chromium: a small experiment with one run that fails on
 * purpose; the page shows rows filling in live, the failure, a Retry click, and the completed
 * tables. Saves a screenshot to {@code target/e2e/}.
 */
@Tag("browser")
class BrowserEndToEndTest {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  static final String EXPERIMENT = """
      experiment { name = browser, seeds = 2, subsets = all, fractions = [0.5, 1.0] }
      dataset {
        source = synthetic-classification
        classes = 3
        train-rows = 300
        test-rows = 200
        modalities = [ { name = a, dim = 8, signal = 2.0 }, { name = b, dim = 6, signal = 0.9 } ]
      }
      model.latent-dim = 16
      train { epochs = 40, batch-size = 32, eval-every = 5 }
      probe.max-iterations = 200
      chaos { fail-first-attempts = 1, select = "subset=a+b,fraction=1,seed=1" }
      """;

  Orchestrator orch;
  HttpServer server;
  ChromeDriver driver;

  @AfterEach
  void stop() {
    if (driver != null) driver.quit();
    if (server != null) server.stop();
    if (orch != null) orch.close();
  }

  @Test
  void watchTheGridFillInSeeTheFailureRetryItAndGetTheTables() throws Exception {
    boolean browser = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(browser, "CI must provide /usr/bin/chromium and /usr/bin/chromedriver (.ci/run installs them)");
    }
    Assumptions.assumeTrue(browser, "needs Debian's chromium and chromium-driver (.ci/run installs them)");
    DatasetCache cache = new DatasetCache(4);
    orch = Orchestrator.start("browser-test", ConfigFactory.load(),
        new Orchestrator.Settings(List.of("cpu:0"), null, 2), cache, new RunExecutor(cache, new LateFusionTrainer()));
    server = HttpServer.start(orch, "127.0.0.1", 0, null);

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1600",
        "--user-data-dir=" + Files.createTempDirectory("mg-chromium"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(120));
    wait.pollingEvery(Duration.ofMillis(100));

    // The page is open before the experiment exists: everything after this arrives live.
    driver.get(server.url());
    String id = submit();
    driver.get(server.url() + "?experiment=" + id);
    wait.until(d -> d.findElements(By.cssSelector("#leaderboard [data-cell]")).size() == 6);

    // rows update live: some run goes from queued/running to succeeded without a reload
    wait.until(d -> !d.findElements(By.cssSelector("#leaderboard [data-run][data-state='succeeded']")).isEmpty());
    int succeededEarly = driver.findElements(By.cssSelector("#leaderboard [data-run][data-state='succeeded']")).size();
    assertTrue(succeededEarly < 12, "seen while the grid is still filling in");

    // the chaos run fails and shows its error and a Retry button
    WebElement retry = wait.until(d -> d.findElements(By.cssSelector("button.retry")).stream().findFirst().orElse(null));
    wait.until(d -> d.findElement(By.id("experiment-status")).getText().trim().equals("finished-with-failures"));
    assertTrue(driver.getPageSource().contains("planned failure"), "the error is shown");
    String failedRun = retry.getAttribute("data-run");
    assertEquals("failed", driver.findElement(By.cssSelector("[data-run='" + failedRun + "'][data-state]")).getAttribute("data-state"));
    screenshot("leaderboard-failed.png");

    retry.click();
    wait.until(d -> d.findElement(By.id("experiment-status")).getText().trim().equals("succeeded"));
    wait.until(d -> d.findElements(By.cssSelector("#leaderboard [data-run][data-state='succeeded']")).size() == 12);
    wait.until(d -> d.findElement(By.id("table-gamma")).getText().contains("a+b"));
    // the tables catch up with the retried run: the a+b row at full data shows both seeds' mean
    JsonNode accuracy = get("/api/v1/experiments/" + id + "/tables/accuracy");
    String fullMean = null;
    for (JsonNode row : accuracy.get("rows")) {
      if (row.get("subset").asText().equals("a+b")) {
        assertEquals(2, row.get("n").asInt(), "both seeds of a+b at full data finished");
        fullMean = String.format(java.util.Locale.ROOT, "%.2f", row.get("accuracy_mean").asDouble());
      }
    }
    String expected = fullMean;
    wait.until(d -> d.findElement(By.id("table-accuracy")).getText().contains(expected));
    screenshot("leaderboard.png");

    JsonNode run = get("/api/v1/runs/" + failedRun);
    assertEquals("succeeded", run.get("status").asText());
    assertEquals(2, run.get("attempts").size());
    assertEquals("chaos", run.get("attempts").get(0).get("kind").asText());
  }

  private void screenshot(String name) throws Exception {
    Path dir = Path.of("target", "e2e");
    Files.createDirectories(dir);
    Files.write(dir.resolve(name), driver.getScreenshotAs(OutputType.BYTES));
  }

  private String submit() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url() + "api/v1/experiments"))
        .POST(HttpRequest.BodyPublishers.ofString(EXPERIMENT)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
    return new ObjectMapper().readTree(r.body()).get("id").asText();
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url() + path.substring(1)))
        .build(), HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body());
  }
}

package org.modalgrid.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableFormatsTest {

  @Test
  void csvIsTidyWithEmptyCellsForMissingValues() {
    Table t = Tables.fractions(TablesTest.SHAPE, TablesTest.sample());
    String[] lines = TableFormats.csv(t).split("\n");
    assertEquals("subset,fraction,n,accuracy_mean,accuracy_std,test_ce_mean,test_ce_std", lines[0]);
    assertEquals(7, lines.length);
    assertTrue(List.of(lines).contains("b,0.5,0,,,,"), String.join("\n", lines));
    assertTrue(List.of(lines).contains("a+b,0.5,1,74.0,,0.75,"), String.join("\n", lines));
  }

  @Test
  void markdownShowsMeanPlusMinusStd() {
    String md = TableFormats.markdown(Tables.accuracy(TablesTest.SHAPE, TablesTest.sample()));
    assertTrue(md.contains("| a | 1 | 2 | 82.00 ± 2.83 | 0.5500 ± 0.07071 |"), md);
    String gamma = TableFormats.markdown(Tables.gamma(TablesTest.SHAPE, TablesTest.sample()));
    assertTrue(gamma.contains("Consistent with Theorem 1, 0-1 loss"), gamma);
    assertTrue(gamma.contains("2 of 3 pairs (0.67)"), gamma);
  }

  @Test
  void jsonCarriesRowsSummaryAndNullsForNaN() throws Exception {
    JsonNode j = new ObjectMapper().readTree(TableFormats.json(Tables.gamma(TablesTest.SHAPE, TablesTest.sample())));
    assertEquals("gamma", j.get("name").asText());
    assertEquals(4, j.get("rows").size());
    assertEquals(2, j.get("summary").get("consistent_pairs_01").asInt());
    boolean sawNull = false;
    for (JsonNode r : j.get("rows")) if (r.get("gamma_01_std").isNull()) sawNull = true;
    assertTrue(sawNull);
  }
}

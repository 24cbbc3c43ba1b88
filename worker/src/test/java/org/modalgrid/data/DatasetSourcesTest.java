package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetSourcesTest {

  @Test
  void forNameKnowsTheFourSourcesAndListsThemOtherwise() {
    assertEquals(List.of("synthetic-overlap", "synthetic-classification", "mfeat", "multiview-files"), DatasetSources.names());
    for (String n : DatasetSources.names()) assertEquals(n, DatasetSources.forName(n).name());
    DataException e = assertThrows(DataException.class, () -> DatasetSources.forName("iemocap"));
    assertEquals("dataset.source: unknown dataset source 'iemocap'; known sources are synthetic-overlap, "
        + "synthetic-classification, mfeat, multiview-files", e.getMessage());
  }

  @Test
  void resolveFallsBackToTheSourcesDefaults() {
    // how an experiment config is built: the experiment file over experiment-defaults.conf
    Config exp = ConfigFactory.parseString("dataset { source = mfeat, views = [fou, zer] }")
        .withFallback(ConfigFactory.parseResources(DatasetSources.DEFAULTS_RESOURCE)).resolve();
    Config ds = DatasetSources.resolve(exp);
    assertEquals("mfeat", ds.getString("source"));
    assertEquals(List.of("fou", "zer"), ds.getStringList("views"));
    assertEquals("../shared/data/mfeat", ds.getString("path"));
    assertEquals(0.5, ds.getDouble("test-fraction"));
    assertEquals(0, ds.getLong("split-seed"));
    assertEquals(Set.of("source", "path", "views", "test-fraction", "split-seed"), ds.root().keySet());
    // the experiment's own dataset-defaults win over the classpath's
    Config custom = ConfigFactory.parseString("dataset { source = mfeat }, dataset-defaults.mfeat.split-seed = 9")
        .withFallback(ConfigFactory.parseResources(DatasetSources.DEFAULTS_RESOURCE));
    assertEquals(9, DatasetSources.resolve(custom).getLong("split-seed"));
    // a bare config still gets the classpath defaults
    Config bare = DatasetSources.resolve(ConfigFactory.parseString("dataset.source = synthetic-overlap, dataset.overlap = 0.2"));
    assertEquals(0.2, bare.getDouble("overlap"));
    assertEquals(100, bare.getInt("shared-dim"));
    // no dataset block: the top-level default source
    Config none = DatasetSources.resolve(DatasetSources.defaults());
    assertEquals("synthetic-classification", none.getString("source"));
    assertEquals(6, none.getInt("classes"));
  }

  @Test
  void eachSourceReadsExactlyTheKeysDocumentedInTheDefaults() {
    Map<String, Set<String>> keys = Map.of(
        SyntheticOverlapSource.NAME, SyntheticOverlapSource.KEYS,
        SyntheticClassificationSource.NAME, SyntheticClassificationSource.KEYS,
        MfeatSource.NAME, MfeatSource.KEYS,
        MultiviewFilesSource.NAME, MultiviewFilesSource.KEYS);
    for (String n : DatasetSources.names()) {
      Set<String> documented = new HashSet<>(DatasetSources.defaults().getConfig("dataset-defaults").getConfig(
          com.typesafe.config.ConfigUtil.quoteString(n)).root().keySet());
      documented.add("source");
      assertEquals(documented, keys.get(n), n);
    }
    // the generated sources' defaults are valid as they stand
    for (String n : List.of("synthetic-overlap", "synthetic-classification", "mfeat")) {
      Config ds = DatasetSources.resolve(ConfigFactory.parseString("dataset.source = " + n));
      DatasetSources.validate(ds);
    }
  }

  @Test
  void resolveErrorsNameTheKey() {
    DataException e = assertThrows(DataException.class,
        () -> DatasetSources.resolve(ConfigFactory.parseString("dataset.source = imagenet")));
    assertTrue(e.getMessage().startsWith("dataset.source: unknown dataset source 'imagenet'"), e.getMessage());
    e = assertThrows(DataException.class, () -> DatasetSources.resolve(ConfigFactory.parseString("dataset.views = [fou]")));
    assertTrue(e.getMessage().startsWith("dataset.source: missing"), e.getMessage());
  }

  @Test
  void canonicalTextIgnoresKeyOrderAndOrigin() {
    Config a = ConfigFactory.parseString("source = mfeat, views = [fou], split-seed = 1");
    Config b = ConfigFactory.parseString("split-seed = 1\n# comment\nviews = [fou]\nsource = mfeat");
    assertEquals(DatasetSources.canonical(a), DatasetSources.canonical(b));
    assertTrue(!DatasetSources.canonical(a).equals(
        DatasetSources.canonical(ConfigFactory.parseString("source = mfeat, views = [kar], split-seed = 1"))));
    assertSame(DatasetSources.forName("mfeat"), DatasetSources.source(a));
  }
}

package org.modalgrid.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tidy result table: one row per cell, columns named as in {@link Tables}. Rendering lives in
 * {@link TableFormats}.
 *
 * @param name    file stem: {@code accuracy}, {@code fractions}, {@code gamma} or {@code eta}
 * @param title   one line saying what the table holds and in which units
 * @param columns column names, in order
 * @param rows    values by column name (Double, Integer, Boolean or String; NaN for "no value")
 * @param notes   lines printed under the Markdown table
 * @param summary named figures about the whole table (e.g. the share of consistent pairs)
 * @param pivot   optional Markdown layout: rows by {@code subset}, one column per value of an axis
 */
public record Table(String name, String title, List<String> columns, List<Map<String, Object>> rows,
    List<String> notes, Map<String, Object> summary, Pivot pivot) {

  public Table {
    columns = List.copyOf(columns);
    rows = rows.stream().map(r -> (Map<String, Object>) java.util.Collections.unmodifiableMap(new LinkedHashMap<>(r))).toList();
    notes = List.copyOf(notes);
    summary = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(summary));
  }

  /** Markdown layout of a pivoted view: {@code metric} mean ± std, one column per {@code axis} value. */
  public record Pivot(String axis, String metric) {}

  public List<Object> column(String name) {
    List<Object> out = new ArrayList<>();
    for (Map<String, Object> r : rows) out.add(r.get(name));
    return out;
  }
}

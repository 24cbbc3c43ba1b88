package org.modalgrid.analysis;

import java.util.Map;
import org.modalgrid.protocol.Cell;

/** One finished run as the tables see it: its cell and its named values (metrics and eta). */
public record Observation(Cell cell, Map<String, Double> values) {}

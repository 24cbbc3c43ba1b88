package org.modalgrid.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small, strict reader for comma-separated numeric files: one record per line, cells trimmed,
 * double-quoted cells with {@code ""} escapes, a UTF-8 byte-order mark and CRLF endings tolerated,
 * blank lines skipped (line numbers in messages still count them). Quoted cells spanning lines are
 * not supported.
 */
final class Csv {

  private Csv() {}

  /** What a cell holds. */
  enum Kind { NUMBER, NON_FINITE, EMPTY, TEXT }

  interface RowHandler {
    /** One non-blank line: its 1-based line number and its cells. */
    void row(int line, List<String> cells);
  }

  static void read(Path file, RowHandler handler) {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String s;
      int line = 0;
      List<String> cells = new ArrayList<>();
      while ((s = r.readLine()) != null) {
        line++;
        if (line == 1 && !s.isEmpty() && s.charAt(0) == '\uFEFF') s = s.substring(1);
        if (s.isBlank()) continue;
        cells.clear();
        split(s, file, line, cells);
        handler.row(line, cells);
      }
    } catch (java.nio.charset.MalformedInputException e) {
      throw new DataException(file + ": not a UTF-8 text file; expected comma-separated numbers", e);
    } catch (IOException e) {
      throw new DataException(file + ": cannot read (" + e + ")", e);
    }
  }

  static void split(String s, Path file, int line, List<String> out) {
    int n = s.length();
    if (s.indexOf('"') < 0) {
      int start = 0;
      while (true) {
        int comma = s.indexOf(',', start);
        if (comma < 0) {
          out.add(s.substring(start).trim());
          return;
        }
        out.add(s.substring(start, comma).trim());
        start = comma + 1;
      }
    }
    int i = 0;
    while (true) {
      while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
      if (i < n && s.charAt(i) == '"') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) {
            throw new DataException(file + ", line " + line + ", column " + (out.size() + 1)
                + ": a quoted cell is not closed on this line (cells may not span lines)");
          }
          char ch = s.charAt(i);
          if (ch == '"') {
            if (i + 1 < n && s.charAt(i + 1) == '"') {
              sb.append('"');
              i += 2;
            } else {
              i++;
              break;
            }
          } else {
            sb.append(ch);
            i++;
          }
        }
        while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
        out.add(sb.toString().trim());
        if (i >= n) return;
        if (s.charAt(i) != ',') {
          throw new DataException(file + ", line " + line + ", column " + out.size()
              + ": unexpected text after a closing quote; expected a comma");
        }
        i++;
      } else {
        int comma = s.indexOf(',', i);
        if (comma < 0) {
          out.add(s.substring(i).trim());
          return;
        }
        out.add(s.substring(i, comma).trim());
        i = comma + 1;
      }
    }
  }

  /** Classifies a trimmed cell: a decimal number, NaN/Inf in any common spelling, empty, or text. */
  static Kind kind(String c) {
    if (c.isEmpty()) return Kind.EMPTY;
    if (isDecimal(c)) return Kind.NUMBER;
    String t = c.toLowerCase(java.util.Locale.ROOT);
    if (t.startsWith("+") || t.startsWith("-")) t = t.substring(1);
    if (t.equals("nan") || t.equals("inf") || t.equals("infinity") || t.equals("1.#inf")
        || t.equals("1.#qnan") || t.equals("1.#ind")) {
      return Kind.NON_FINITE;
    }
    return Kind.TEXT;
  }

  /** [+-] digits [. digits] [(e|E) [+-] digits], with at least one digit in the mantissa. */
  static boolean isDecimal(String c) {
    int n = c.length();
    int i = 0;
    if (i < n && (c.charAt(i) == '+' || c.charAt(i) == '-')) i++;
    int digits = 0;
    while (i < n && Character.isDigit(c.charAt(i)) && c.charAt(i) < 128) { i++; digits++; }
    if (i < n && c.charAt(i) == '.') {
      i++;
      while (i < n && Character.isDigit(c.charAt(i)) && c.charAt(i) < 128) { i++; digits++; }
    }
    if (digits == 0) return false;
    if (i < n && (c.charAt(i) == 'e' || c.charAt(i) == 'E')) {
      i++;
      if (i < n && (c.charAt(i) == '+' || c.charAt(i) == '-')) i++;
      int ed = 0;
      while (i < n && Character.isDigit(c.charAt(i)) && c.charAt(i) < 128) { i++; ed++; }
      if (ed == 0) return false;
    }
    return i == n;
  }

  /** True when a first line is a header: some cell is text (not a number, NaN/Inf or empty). */
  static boolean isHeader(List<String> cells) {
    for (String c : cells) if (kind(c) == Kind.TEXT) return true;
    return false;
  }

  /** Quotes a cell for a message, shortened when long. */
  static String show(String cell) {
    String c = cell.length() > 40 ? cell.substring(0, 37) + "..." : cell;
    return "'" + c + "'";
  }
}

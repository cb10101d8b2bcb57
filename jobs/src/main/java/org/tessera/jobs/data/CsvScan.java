package org.tessera.jobs.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * One distributed pass over the lines of a CSV file that finds what Spark's reader would hide:
 * lines with more or fewer fields than the header (Spark truncates or pads them silently) and, in
 * the chosen columns, empty cells, NaN, infinities and text. Each finding keeps its count and the
 * first line (1-based, the header being line 1) where it occurs, so errors can name the line.
 *
 * <p>Fields are split as Spark's CSV reader splits them by default: on commas outside double
 * quotes (a quote opens a quoted field only as its first character), a doubled quote or a backslash
 * escaping a quote inside them. Blank lines are skipped, as Spark skips them, and the header is the
 * first line that is not blank.
 */
public final class CsvScan {
    /** What kind of cell a finding is about. */
    public enum Problem {
        /** An empty cell (a null in Spark). */
        EMPTY,
        /** {@code NaN}. */
        NAN,
        /** An infinity ({@code Inf}, {@code Infinity}, with a sign or not). */
        INFINITE,
        /** Text that is not a number. */
        TEXT
    }

    /**
     * The first occurrence of something and how often it occurs. (A plain class rather than a record:
     * it travels between tasks through Kryo, which cannot build records.)
     */
    public static final class Finding implements Serializable {
        private static final long serialVersionUID = 1L;
        static final Finding NONE = new Finding(0, Long.MAX_VALUE, null);

        private final long count;
        private final long firstLine;
        private final String firstValue;

        Finding(long count, long firstLine, String firstValue) {
            this.count = count;
            this.firstLine = firstLine;
            this.firstValue = firstValue;
        }

        /** How many times it occurs. */
        public long count() {
            return count;
        }

        /** The first line (1-based) where it occurs. */
        public long firstLine() {
            return firstLine;
        }

        /** The value (cell, or field count) at the first line. */
        public String firstValue() {
            return firstValue;
        }

        Finding merge(Finding o) {
            if (o.count == 0) {
                return this;
            }
            if (count == 0) {
                return o;
            }
            boolean mine = firstLine <= o.firstLine;
            return new Finding(count + o.count, mine ? firstLine : o.firstLine, mine ? firstValue : o.firstValue);
        }

        /** Whether it occurred at all. */
        public boolean found() {
            return count > 0;
        }
    }

    /**
     * The findings of one file.
     *
     * @param file the file
     * @param headerFields the number of fields of the header line
     * @param dataLines the non-blank lines after the header
     * @param malformed lines whose field count differs from the header's (value: the field count)
     * @param cells per chosen column, per {@link Problem}, among the well-formed lines
     * @param badRows well-formed lines with an empty, NaN or infinite cell in a chosen column
     */
    public record Result(String file, int headerFields, long dataLines, Finding malformed, Finding[][] cells,
            long badRows) {
    }

    private CsvScan() {
    }

    /** Scans {@code file} (its header line has {@code headerFields} fields) for the columns at {@code indices}. */
    public static Result scan(SparkSession spark, String file, int headerFields, int[] indices) {
        org.apache.spark.api.java.JavaPairRDD<String, Long> lines = spark.read().textFile(file).javaRDD().zipWithIndex();
        // the header is the first line that is not blank (Spark skips blank lines before it too)
        List<scala.Tuple2<String, Long>> first = lines.filter(t -> !t._1().isBlank()).take(1);
        long headerLine = first.isEmpty() ? 0 : first.get(0)._2();
        int k = indices.length;
        Partial zero = new Partial(k);
        Partial total = lines.aggregate(zero, (acc, t) -> acc.add(t, headerLine, headerFields, indices),
                Partial::merge);
        return new Result(file, headerFields, total.dataLines, total.malformed, total.cells, total.badRows);
    }

    /** A partial result of the pass (per task, then merged). */
    static final class Partial implements Serializable {
        private static final long serialVersionUID = 1L;
        long dataLines;
        long badRows;
        Finding malformed = Finding.NONE;
        final Finding[][] cells;

        Partial(int columns) {
            cells = new Finding[columns][Problem.values().length];
            for (Finding[] row : cells) {
                java.util.Arrays.fill(row, Finding.NONE);
            }
        }

        Partial add(Tuple2<String, Long> t, long headerLine, int headerFields, int[] indices) {
            long line = t._2() + 1;
            String text = t._1();
            if (t._2() <= headerLine || text.isBlank()) {
                return this; // the header (or blank lines before it), or a line Spark skips
            }
            dataLines++;
            List<String> fields = split(text);
            if (fields.size() != headerFields) {
                malformed = malformed.merge(new Finding(1, line, Integer.toString(fields.size())));
                return this;
            }
            boolean bad = false;
            for (int c = 0; c < indices.length; c++) {
                String v = fields.get(indices[c]);
                Problem p = classify(v);
                if (p != null) {
                    cells[c][p.ordinal()] = cells[c][p.ordinal()].merge(new Finding(1, line, v));
                    bad |= p != Problem.TEXT;
                }
            }
            if (bad) {
                badRows++;
            }
            return this;
        }

        Partial merge(Partial o) {
            Partial m = new Partial(cells.length);
            m.dataLines = dataLines + o.dataLines;
            m.badRows = badRows + o.badRows;
            m.malformed = malformed.merge(o.malformed);
            for (int c = 0; c < cells.length; c++) {
                for (int p = 0; p < cells[c].length; p++) {
                    m.cells[c][p] = cells[c][p].merge(o.cells[c][p]);
                }
            }
            return m;
        }
    }

    /**
     * The problem with a cell, or null for a finite number, as Spark's CSV reader sees the cell: a
     * number is what Java parses as a double ({@code NaN}, {@code Infinity} with a sign or not), or
     * Spark's own {@code NaN}, {@code Inf} and {@code -Inf}, spelled exactly so; any other spelling
     * ({@code nan}, {@code inf}, {@code NA}) is text, which makes Spark read the column as strings.
     */
    static Problem classify(String raw) {
        if (raw.trim().isEmpty()) {
            return Problem.EMPTY;
        }
        if (raw.equals("NaN")) {
            return Problem.NAN;
        }
        if (raw.equals("Inf") || raw.equals("-Inf")) {
            return Problem.INFINITE;
        }
        try {
            double d = Double.parseDouble(raw);
            return Double.isNaN(d) ? Problem.NAN : Double.isInfinite(d) ? Problem.INFINITE : null;
        } catch (NumberFormatException e) {
            return Problem.TEXT;
        }
    }

    /** The fields of one CSV line (quotes removed). */
    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '\\' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"' && cur.length() == 0 && !wasQuoted) {
                // a quote opens a quoted field only as the field's first character (5'11" is text)
                quoted = true;
                wasQuoted = true;
            } else if (ch == ',') {
                wasQuoted = false;
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }
}

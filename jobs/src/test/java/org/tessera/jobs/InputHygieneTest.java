package org.tessera.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.jobs.JobsTest.assertOneLineError;
import static org.tessera.jobs.JobsTest.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.spark.TesseraSession;

/**
 * Messy input files end with one line that names the file, the line, the column and the value,
 * with exit code 1 and nothing written; the skip options skip and count.
 */
class InputHygieneTest {
    static TesseraSession session;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        session = TesseraSession.builder().master("local[2]").appName("input tests")
                .config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        session.close();
    }

    /** A clean table a, b, c, y with y = 1 + 2a − b + 0.5c (+ a little noise), 30 rows. */
    static List<String> table() {
        List<String> lines = new ArrayList<>();
        lines.add("a,b,c,y");
        for (int i = 0; i < 30; i++) {
            double a = Math.sin(i);
            double b = Math.cos(2 * i);
            double c = (i % 7) - 3;
            double y = 1 + 2 * a - b + 0.5 * c + 0.01 * Math.sin(5 * i);
            lines.add(a + "," + b + "," + c + "," + y);
        }
        return lines;
    }

    Path write(String name, List<String> lines) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, lines);
        return f;
    }

    /** The table with line {@code line} (1-based, the header is line 1) replaced. */
    Path withLine(String name, int line, String text) throws IOException {
        List<String> lines = table();
        lines.set(line - 1, text);
        return write(name, lines);
    }

    JobsTest.Run regression(Path file, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("regression", "--input", file.toString(), "--label", "y",
                "--out", out.toString()));
        args.addAll(List.of(more));
        return run(args.toArray(new String[0]));
    }

    /** Fits {@code file} dropping rows with missing values; checks the fit used {@code rows} rows and returns the run. */
    JobsTest.Run fitsDroppingMissing(Path file, Path out, int rows) throws IOException {
        JobsTest.Run r = regression(file, out, "--drop-missing");
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertTrue(json.contains("\"rows\": " + rows + ","), json);
        return r;
    }

    void assertFails(Path file, String expected, String... more) {
        Path out = dir.resolve("out-" + file.getFileName());
        assertOneLineError(regression(file, out, more), 1, expected);
        assertFalse(Files.exists(out), "nothing written to " + out);
    }

    @Test
    void aLineWithAnExtraOrAMissingFieldIsAnErrorNamingFileAndLine() throws Exception {
        Path extra = withLine("extra.csv", 4, "0.5,0.25,1,2.5,99");
        assertFails(extra, extra + " line 4 has 5 fields, the header has 4; 1 such line in all (--drop-malformed"
                + " skips them)");
        Path missing = withLine("missing.csv", 7, "0.5,0.25,2.5");
        assertFails(missing, missing + " line 7 has 3 fields, the header has 4");
    }

    @Test
    void dropMalformedSkipsAndCountsThem() throws Exception {
        List<String> lines = table();
        lines.add(5, "1,2,3,4,5");
        lines.add(9, "1,2");
        Path file = write("two-bad.csv", lines);
        Path out = dir.resolve("dropped");
        JobsTest.Run r = regression(file, out, "--drop-malformed");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("skipped 2 malformed lines"), r.out());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertTrue(json.contains("\"rows\": 30"), json);
        double[] w = RealDataTest.jsonArray(json, "weights");
        assertEquals(2, w[0], 0.05, json);
        assertEquals(-1, w[1], 0.05, json);
    }

    @Test
    void nanEmptyAndInfiniteCellsNameColumnAndLineAndPointToDropMissing() throws Exception {
        Path nan = withLine("nan.csv", 3, "0.5,NaN,1,2");
        assertFails(nan, "feature column 'b' has NaN at " + nan + " line 3; 1 row has empty, NaN or infinite values"
                + " in the chosen columns (--drop-missing skips them)");
        Path empty = withLine("empty.csv", 12, "0.5,0.1,,2");
        assertFails(empty, "feature column 'c' has an empty cell at " + empty + " line 12");
        Path inf = withLine("inf.csv", 20, "Infinity,0.1,1,2");
        assertFails(inf, "feature column 'a' has an infinite value ('Infinity') at " + inf + " line 20");
        Path label = withLine("label.csv", 9, "0.5,0.1,1,");
        assertFails(label, "label column 'y' has an empty cell at " + label + " line 9");
        Path text = withLine("text.csv", 6, "0.5,oops,1,2");
        assertFails(text, "feature column 'b' is not numeric: " + text + " line 6 has 'oops'");
    }

    @Test
    void dropMissingSkipsAndCountsRows() throws Exception {
        List<String> lines = table();
        lines.set(3, "0.5,NaN,1,2");
        lines.set(8, "0.5,0.1,,2");
        lines.set(11, "-Infinity,0.1,1,2");
        Path file = write("holes.csv", lines);
        Path out = dir.resolve("holes");
        JobsTest.Run r = fitsDroppingMissing(file, out, 27);
        assertTrue(r.out().contains("skipped 3 rows with missing values"), r.out());
    }

    @Test
    void constantAndCollinearFeaturesAreNamed() throws Exception {
        List<String> lines = table();
        List<String> constant = new ArrayList<>();
        List<String> collinear = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            constant.add(i == 0 ? "a,flat,b,y" : f[0] + ",7," + f[1] + "," + f[3]);
            collinear.add(i == 0 ? "a,b,twice_a_minus_b,y" : f[0] + "," + f[1] + ","
                    + (2 * Double.parseDouble(f[0]) - Double.parseDouble(f[1])) + "," + f[3]);
        }
        assertFails(write("constant.csv", constant), "feature column 'flat' is constant (every value 7.0); leave it"
                + " out with --features");
        assertFails(write("collinear.csv", collinear), "feature column 'twice_a_minus_b' is (up to rounding) a linear"
                + " combination of the features before it (a, b)");
    }

    @Test
    void parquetNullsAndNaNsNameColumnAndRow() throws Exception {
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            double a = i == 13 ? Double.NaN : Math.sin(i);
            rows.add(org.apache.spark.sql.RowFactory.create(a, Math.cos(i), 1 + 2 * Math.sin(i) - Math.cos(i)));
        }
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("a", "double").add("b", "double").add("y", "double");
        Path file = dir.resolve("holes.parquet");
        session.spark().createDataFrame(rows, schema).coalesce(1).write().parquet(file.toString());
        assertFails(file, "feature column 'a' has NaN at row 14 of " + file + "; 1 row has null, NaN or infinite"
                + " values in the chosen columns (--drop-missing skips them)");
        Path out = dir.resolve("parquet-out");
        fitsDroppingMissing(file, out, 19);
    }

    @Test
    void headerOnlyAndEmptyFilesSaySo() throws Exception {
        Path header = write("header.csv", List.of("a,b,y"));
        assertFails(header, "input file " + header + " has a header line but no data rows");
        assertOneLineError(run("stats", "--input", header.toString(), "--out", dir.resolve("s").toString()), 1,
                "has a header line but no data rows");
        Path empty = write("empty-file.csv", List.of());
        assertFails(empty, "input file " + empty + " is empty");
    }

    @Test
    void anUnwritableOutFailsBeforeAnyWork() throws Exception {
        Path file = write("fine.csv", table());
        Path blocker = write("not-a-folder", List.of("x"));
        long t0 = System.nanoTime();
        assertOneLineError(regression(file, blocker.resolve("out")), 1, "--out " + blocker.resolve("out") + ": "
                + blocker + " is a file, not a folder");
        assertTrue(System.nanoTime() - t0 < 5e9, "checked before reading the data");
        assertOneLineError(run("stats", "--input", file.toString(), "--out", blocker.toString()), 1,
                "is a file, not a folder");
    }

    @Test
    void logisticLabelsMustBeTwoClasses() throws Exception {
        Path continuous = write("continuous.csv", table());
        assertFails(continuous, "label column 'y' has more than two values", "--model", "logistic");
        List<String> one = new ArrayList<>();
        List<String> twoFour = new ArrayList<>();
        List<String> lines = table();
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            one.add(i == 0 ? "a,b,c,y" : f[0] + "," + f[1] + "," + f[2] + ",1");
            twoFour.add(i == 0 ? "a,b,c,y" : f[0] + "," + f[1] + "," + f[2] + ","
                    + (Double.parseDouble(f[3]) + 0.3 * Math.cos(7 * i) > 1 ? 4 : 2));
        }
        assertFails(write("one-class.csv", one), "label column 'y' has only the value 1; logistic regression needs"
                + " rows of both classes", "--model", "logistic");
        Path out = dir.resolve("two-four");
        JobsTest.Run r = regression(write("two-four.csv", twoFour), out, "--model", "logistic", "--l2", "0.05");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("label: 2 mapped to 0 and 4 to 1"), r.out());
        assertTrue(Files.readString(out.resolve("coefficients.json")).contains("\"labelValues\": [2.0, 4.0]"));
    }

    @Test
    void matmulNamesTheTextColumnsItLeavesOut() throws Exception {
        Path a = write("a.csv", List.of("x,name,y", "1,p,2", "3,q,4"));
        Path b = write("b.csv", List.of("u,v", "1,0", "0,1"));
        JobsTest.Run r = run("matmul", "--a", a.toString(), "--b", b.toString(), "--reps", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("A (" + a + "): 1 text column left out: name"), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.contains("left out")).count(), r.out());
    }

    @Test
    void statsPrintsABoundedSummaryOfAWideTable() throws Exception {
        int d = 60;
        List<String> lines = new ArrayList<>();
        StringBuilder head = new StringBuilder();
        for (int j = 0; j < d; j++) {
            head.append(j > 0 ? "," : "").append("pixel_column_").append(j);
        }
        lines.add(head.toString());
        for (int i = 0; i < 50; i++) {
            StringBuilder row = new StringBuilder();
            for (int j = 0; j < d; j++) {
                row.append(j > 0 ? "," : "").append(Math.sin(i * (j + 1) * 0.37));
            }
            lines.add(row.toString());
        }
        Path file = write("wide.csv", lines);
        Path out = dir.resolve("wide-stats");
        JobsTest.Run r = run("stats", "--input", file.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().count() < 35, r.out());
        assertTrue(r.out().lines().allMatch(l -> l.length() <= 120), r.out());
        assertTrue(r.out().contains("the 60×60 correlation matrix is in stats.csv"), r.out());
        List<String> csv = Files.readAllLines(out.resolve("stats.csv"));
        assertEquals(d + 1, csv.size());
        assertEquals(3 + d, csv.get(1).split(",").length);
    }
    @Test
    void aColumnNameWithADotIsOneColumnNotAStructField() throws Exception {
        List<String> lines = table();
        lines.set(0, "Sepal.Length,b,c,y"); // R's data frames name columns so
        Path file = write("dots.csv", lines);
        Path out = dir.resolve("dots");
        JobsTest.Run r = regression(file, out);
        assertEquals(0, r.code(), r.out() + r.err());
        double[] w = RealDataTest.jsonArray(Files.readString(out.resolve("coefficients.json")), "weights");
        assertEquals(2, w[0], 0.05);
        assertEquals(-1, w[1], 0.05);
        Path parquet = dir.resolve("dots.parquet");
        session.spark().read().option("header", "true").option("inferSchema", "true").csv(file.toString()).coalesce(1)
                .write().parquet(parquet.toString());
        r = regression(parquet, dir.resolve("dots-parquet"));
        assertEquals(0, r.code(), r.out() + r.err());
        r = run("stats", "--input", file.toString(), "--out", dir.resolve("dots-stats").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(Files.readAllLines(dir.resolve("dots-stats").resolve("stats.csv")).get(1).startsWith("Sepal.Length,"));
    }

    @Test
    void blankLinesBeforeTheHeaderAreSkippedAsSparkSkipsThem() throws Exception {
        List<String> lines = table();
        lines.add(0, "");
        lines.add(1, "   ");
        Path out = dir.resolve("blank-first");
        JobsTest.Run r = regression(write("blank-first.csv", lines), out);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(Files.readString(out.resolve("coefficients.json")).contains("\"rows\": 30"));
    }

    @Test
    void aQuoteInsideAFieldIsTextAsForSpark() throws Exception {
        List<String> lines = table();
        for (int i = 0; i < lines.size(); i++) {
            // the text column first, so that a quote opening a quoted field would swallow the numbers after it
            lines.set(i, (i == 0 ? "note," : i == 5 ? "5'11\" tall," : i == 9 ? "\"quoted, with a comma\"," : "x,")
                    + lines.get(i));
        }
        Path out = dir.resolve("quote-inside");
        JobsTest.Run r = regression(write("quote-inside.csv", lines), out, "--features", "a,b,c");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("malformed"), r.out());
        assertTrue(Files.readString(out.resolve("coefficients.json")).contains("\"rows\": 30"));
    }

    @Test
    void spellingsOfNanAndInfinitySparkDoesNotReadAreTextWhetherOrNotMissingValuesAreDropped() throws Exception {
        Path inf = withLine("lower-inf.csv", 4, "0.5,inf,1,2");
        assertFails(inf, "feature column 'b' is not numeric: " + inf + " line 4 has 'inf'");
        assertFails(inf, "feature column 'b' is not numeric: " + inf + " line 4 has 'inf'", "--drop-missing");
        Path nan = withLine("lower-nan.csv", 6, "nan,0.1,1,2");
        assertFails(nan, "feature column 'a' is not numeric: " + nan + " line 6 has 'nan'", "--drop-missing");
        // Spark's own spellings are numbers: missing values, skipped when asked
        Path spark = withLine("spark-inf.csv", 4, "0.5,-Inf,1,2");
        Path out = dir.resolve("spark-inf");
        fitsDroppingMissing(spark, out, 29);
    }

    @Test
    void statsNamesTheColumnsItLeavesOutAndQuotesNamesInItsCsv() throws Exception {
        List<String> lines = table();
        lines.set(0, "\"x,1\",b,c,y");
        lines.set(7, "0.5,NA,1,2");
        Path out = dir.resolve("na-stats");
        JobsTest.Run r = run("stats", "--input", write("na.csv", lines).toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("left out 1 column that is not numeric: b"), r.out());
        List<String> csv = Files.readAllLines(out.resolve("stats.csv"));
        assertEquals("column,mean,std,\"corr_x,1\",corr_c,corr_y", csv.get(0));
        assertTrue(csv.get(1).startsWith("\"x,1\","), csv.get(1));
    }

    @Test
    void aFolderOfParquetFilesIsReadWithEveryFilesColumns() throws Exception {
        Path folder = dir.resolve("mixed.parquet");
        org.apache.spark.sql.types.StructType ay = new org.apache.spark.sql.types.StructType().add("a", "double")
                .add("y", "double");
        org.apache.spark.sql.types.StructType aby = new org.apache.spark.sql.types.StructType().add("a", "double")
                .add("b", "double").add("y", "double");
        List<org.apache.spark.sql.Row> r1 = new ArrayList<>();
        List<org.apache.spark.sql.Row> r2 = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            r1.add(org.apache.spark.sql.RowFactory.create(Math.sin(i), 1 + 2 * Math.sin(i)));
            r2.add(org.apache.spark.sql.RowFactory.create(Math.cos(i), Math.sin(3 * i), 1 + 2 * Math.cos(i)
                    - Math.sin(3 * i)));
        }
        Path parts = dir.resolve("parts");
        session.spark().createDataFrame(r1, ay).coalesce(1).write().parquet(parts.resolve("p1").toString());
        session.spark().createDataFrame(r2, aby).coalesce(1).write().parquet(parts.resolve("p2").toString());
        Files.createDirectories(folder);
        for (String p : List.of("p1", "p2")) {
            try (java.util.stream.Stream<Path> files = Files.list(parts.resolve(p))) {
                Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
                Files.copy(part, folder.resolve(p + ".parquet"));
            }
        }
        Path glob = folder;
        // b, which only the second file holds, is a feature: its missing values are named, not the column lost
        assertFails(glob, "feature column 'b' has a null at row");
        Path out = dir.resolve("mixed-out");
        fitsDroppingMissing(glob, out, 10);
        String json = Files.readString(out.resolve("coefficients.json"));
        double[] w = RealDataTest.jsonArray(json, "weights");
        assertEquals(2, w[0], 1e-9, json);
        assertEquals(-1, w[1], 1e-9, json);
    }

    @Test
    void aDecimalColumnIsReadAsDoubles() throws Exception {
        Path file = dir.resolve("decimal.parquet");
        session.spark().read().option("header", "true").option("inferSchema", "true")
                .csv(write("for-decimal.csv", table()).toString())
                .selectExpr("cast(a as decimal(12, 6)) as a", "b", "c", "y").coalesce(1).write()
                .parquet(file.toString());
        Path out = dir.resolve("decimal-out");
        JobsTest.Run r = regression(file, out);
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(2, RealDataTest.jsonArray(Files.readString(out.resolve("coefficients.json")), "weights")[0], 0.05);
    }
}

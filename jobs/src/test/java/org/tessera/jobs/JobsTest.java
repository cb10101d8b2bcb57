package org.tessera.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jobs run end to end on an embedded local[2] Spark, and bad input ends in one line. */
class JobsTest {
    @TempDir
    Path dir;

    /** The exit code, standard output and standard error of one run. */
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        System.setOut(o);
        try {
            int code = Main.run(args, o, e);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
        }
    }

    static void assertOneLineError(Run r, int code, String expected) {
        assertEquals(code, r.code(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.isBlank() && !l.matches("^\\d\\d:\\d\\d:\\d\\d .*")).toList();
        assertEquals(1, lines.size(), "one line of error:\n" + r.err());
        assertTrue(lines.get(0).contains(expected), lines.get(0));
        assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
    }

    @Test
    void linearRegressionOnGeneratedDataMatchesTheClosedFormAndTheTrueCoefficients() throws Exception {
        Path out = dir.resolve("out");
        Run r = run("regression", "--master", "local[2]", "--rows", "20000", "-d", "5", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("closed-form check (normal equations from XᵀX)") && r.out().contains("PASSED"),
                r.out());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertTrue(json.contains("\"solver\": \"normal\"") && json.contains("\"passed\": true"), json);
        assertTrue(json.contains("\"trueWeights\": [-1.25, 0.25, 1.75, -0.25, 1.25]"), json);
        double[] w = RealDataTest.jsonArray(json, "weights");
        double[] truth = org.tessera.jobs.data.Synthetic.trueWeights(5);
        for (int j = 0; j < 5; j++) {
            assertEquals(truth[j], w[j], 0.005, json);
        }
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);
        assertTrue(r.out().contains("iteration 1 objective"), "plain progress lines off a terminal:\n" + r.out());

        // gradient descent on uncorrelated generated features converges in a few epochs and passes the check
        Path gd = dir.resolve("gd");
        Run g = run("regression", "--master", "local[2]", "--rows", "20000", "-d", "5", "--solver", "gd", "--epochs",
                "40", "--out", gd.toString());
        assertEquals(0, g.code(), g.out() + g.err());
        assertTrue(g.out().contains("epoch 40/40 objective"), g.out());
        assertTrue(Files.readString(gd.resolve("coefficients.json")).contains("\"passed\": true"));
    }

    @Test
    void logisticRegressionSeparatesGeneratedClasses() throws Exception {
        Path out = dir.resolve("logit");
        Run r = run("regression", "--model", "logistic", "--master", "local[2]", "--rows", "20000", "-d", "4",
                "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"accuracy\": ([0-9.]+)").matcher(json);
        assertTrue(m.find(), json);
        assertTrue(Double.parseDouble(m.group(1)) > 0.9, json);
    }

    @Test
    void regressionReadsACsvFileWithChosenColumns() throws Exception {
        StringBuilder csv = new StringBuilder("id,a,b,y,name\n");
        for (int i = 0; i < 200; i++) {
            double a = Math.sin(i);
            double b = Math.cos(3 * i);
            csv.append(i).append(',').append(a).append(',').append(b).append(',').append(2 * a - 3 * b + 1)
                    .append(",n").append(i).append('\n');
        }
        Path file = dir.resolve("data.csv");
        Files.writeString(file, csv);
        Path out = dir.resolve("csv-out");
        Run r = run("regression", "--master", "local[2]", "--input", file.toString(), "--label", "y", "--features",
                "a,b", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertTrue(json.contains("\"features\": [\"a\", \"b\"]"), json);
        assertTrue(json.contains("\"passed\": true"), json);

        assertOneLineError(run("regression", "--master", "local[2]", "--input", file.toString(), "--label", "nope",
                "--out", out.toString()), 1, "label column 'nope' not found; the columns are: id, a, b, y, name");
        assertOneLineError(run("regression", "--master", "local[2]", "--input", file.toString(), "--label", "y",
                "--out", out.toString()), 1, "feature column 'name' is not numeric: " + file + " line 2 has 'n0'"
                + " (choose the feature columns with --features)");
    }

    @Test
    void badOptionsAndMissingFilesEndInOneLine() {
        assertOneLineError(run("regression", "--bogus"), 2, "Unknown option: '--bogus'");
        assertOneLineError(run("regression", "--epochs", "many"), 2, "--epochs");
        assertOneLineError(run("regression", "--input", dir.resolve("missing.csv").toString()), 1,
                "input file not found: " + dir.resolve("missing.csv"));
        assertOneLineError(run("no-such-job"), 2, "Unmatched argument");
        Run help = run("regression", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--model") && help.out().contains("--input"), help.out());
        for (String job : new String[] {"matmul", "stats", "bench-regression", "tour", "bench-engine"}) {
            assertEquals(0, run(job, "--help").code(), job);
        }
    }

    @Test
    void statsComputesMeansDeviationsAndCorrelations() throws Exception {
        Path file = dir.resolve("s.csv");
        Files.writeString(file, "u,v,w,label\n1,2,10,x\n2,4,7,y\n3,6,9,z\n4,8,1,w\n");
        Path out = dir.resolve("stats");
        Run r = run("stats", "--master", "local[2]", "--input", file.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> lines = Files.readAllLines(out.resolve("stats.csv"));
        assertEquals("column,mean,std,corr_u,corr_v,corr_w", lines.get(0));
        String[] u = lines.get(1).split(",");
        assertEquals(2.5, Double.parseDouble(u[1]), 1e-12);
        assertEquals(Math.sqrt(5.0 / 3), Double.parseDouble(u[2]), 1e-12);
        assertEquals(1.0, Double.parseDouble(u[4]), 1e-12, "u and v = 2u are perfectly correlated");
        double[] w = {10, 7, 9, 1};
        double[] uu = {1, 2, 3, 4};
        double cov = 0;
        double sw = 0;
        for (int i = 0; i < 4; i++) {
            cov += (uu[i] - 2.5) * (w[i] - 6.75);
            sw += (w[i] - 6.75) * (w[i] - 6.75);
        }
        double expected = cov / Math.sqrt(5.0 * sw);
        assertEquals(expected, Double.parseDouble(u[5]), 1e-12);
        assertTrue(r.out().contains("correlation"), r.out());
        assertOneLineError(run("stats", "--master", "local[2]", "--input", file.toString(), "--columns", "u,label"),
                1, "column 'label' is not numeric: " + file + " line 2 has 'x'");
    }

    @Test
    void matmulPrintsTimeRateAndStrategy() {
        Run r = run("matmul", "--master", "local[2]", "-n", "300", "-k", "200", "-m", "100", "--block", "100",
                "--reps", "1", "--check");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("strategy"), r.out());
        assertTrue(r.out().contains("right side read in place"), r.out());
        assertTrue(r.out().contains("GFLOP/s"), r.out());
        assertTrue(r.out().contains("check against the single-node engine: largest difference"), r.out());
        assertTrue(r.out().contains("passed"), r.out());
        Run shuffle = run("matmul", "--master", "local[2]", "-n", "64", "-k", "64", "-m", "64", "--block", "16",
                "--strategy", "shuffle", "--reps", "1", "--check");
        assertTrue(shuffle.out().contains("strategy shuffle"), shuffle.out());
        assertTrue(shuffle.out().contains("passed"), shuffle.out());
        assertOneLineError(run("matmul", "--strategy", "fastest"), 1, "unknown matmul strategy 'fastest'");
    }

    @Test
    void sparkDefaultsCarryThePomsJvmFlags() throws Exception {
        Path conf = Path.of("target", "conf", "spark-defaults.conf");
        String text = Files.readString(conf);
        assertFalse(text.contains("@tessera"), "every placeholder filled:\n" + text);
        String flags = System.getProperty("tessera.jvm.flags", "--add-opens=java.base/java.nio=ALL-UNNAMED");
        for (String key : new String[] {"spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"}) {
            String line = text.lines().filter(l -> l.startsWith(key)).findFirst().orElseThrow();
            assertTrue(line.contains(flags.trim()), line);
        }
        assertTrue(text.contains("spark.kryo.registrator                    org.tessera.spark.kryo.TesseraKryoRegistrator"));
        assertTrue(Files.isExecutable(Path.of("target", "conf", "gpu-discovery.sh")));
    }
}

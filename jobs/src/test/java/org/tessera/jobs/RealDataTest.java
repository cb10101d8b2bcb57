package org.tessera.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.spark.TesseraSession;

/**
 * The regression job on real, public data (scikit-learn's diabetes and breast cancer tables, as
 * Debian ships them; see {@code datasets/README.md}) against reference values that
 * {@code jobs/scripts/reference-values.py} computed with numpy.
 */
class RealDataTest {
    static TesseraSession session;
    static Properties ref;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws IOException {
        session = TesseraSession.builder().master("local[2]").appName("real-data tests")
                .config("spark.ui.enabled", "false").getOrCreate();
        ref = new Properties();
        try (InputStream in = RealDataTest.class.getResourceAsStream("/datasets/reference-values.properties")) {
            ref.load(in);
        }
    }

    @AfterAll
    static void stop() {
        session.close();
    }

    static Path dataset(String name) {
        try {
            return Path.of(RealDataTest.class.getResource("/datasets/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static double[] values(String key) {
        String v = ref.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("reference value " + key + " missing; run jobs/scripts/reference-values.py");
        }
        return Arrays.stream(v.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    /** The numbers of a JSON array field {@code name} (the first one in the file). */
    static double[] jsonArray(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": \\[([^\\]]*)\\]").matcher(json);
        assertTrue(m.find(), name + " in\n" + json);
        return Arrays.stream(m.group(1).split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
    }

    static double jsonNumber(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": ([-0-9.eE]+)").matcher(json);
        assertTrue(m.find(), name + " in\n" + json);
        return Double.parseDouble(m.group(1));
    }

    static String jsonString(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": \"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), name + " in\n" + json);
        return m.group(1);
    }

    /** Weights then intercept of a coefficients.json. */
    static double[] coefficients(String json) {
        double[] w = jsonArray(json, "weights");
        double[] out = Arrays.copyOf(w, w.length + 1);
        out[w.length] = jsonNumber(json, "bias");
        return out;
    }

    static void assertRelative(double[] expected, double[] actual, double rel, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double allowed = rel * Math.abs(expected[i]);
            assertTrue(Math.abs(expected[i] - actual[i]) <= allowed, String.format(
                    "%s[%d]: expected %.17g, got %.17g (relative difference %.3g, allowed %.1g)", what, i,
                    expected[i], actual[i], Math.abs(expected[i] - actual[i]) / Math.abs(expected[i]), rel));
        }
    }

    private JobsTest.Run regression(Path out, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "regression";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--out";
        all[args.length + 2] = out.toString();
        return JobsTest.run(all);
    }

    @Test
    void defaultLinearFitOnDiabetesIsTheLeastSquaresSolution() throws Exception {
        Path out = dir.resolve("diabetes");
        JobsTest.Run r = regression(out, "--input", dataset("diabetes.csv").toString(), "--label", "progression");
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertEquals("normal", jsonString(json, "solver"), json);
        assertRelative(values("diabetes.ls.coefficients"), coefficients(json), 1e-6, "coefficients");
        assertEquals(values("diabetes.ls.mse")[0], jsonNumber(json, "mse"), 1e-9 * values("diabetes.ls.mse")[0]);
        assertEquals(values("diabetes.ls.r2")[0], jsonNumber(json, "r2"), 1e-9);
        assertEquals(values("diabetes.ls.conditionNumber")[0], jsonNumber(json, "conditionNumber"),
                1e-6 * values("diabetes.ls.conditionNumber")[0]);
        assertTrue(json.contains("\"passed\": true"), json);
        assertTrue(r.out().contains("closed-form check") && r.out().contains("PASSED"), r.out());
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);
    }

    @Test
    void aFloat32FitPassesItsCheckAndReportsAnMseAboveTheLeastSquaresMinimum() throws Exception {
        // the check's normal equations and the reported MSE come from float64 moments of the float32 data
        Path out = dir.resolve("float32");
        JobsTest.Run r = regression(out, "--input", dataset("diabetes.csv").toString(), "--label", "progression",
                "--dtype", "float32");
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertTrue(json.contains("\"passed\": true") && json.contains("\"allowed\": 1.0E-4"), json);
        assertRelative(values("diabetes.ls.coefficients"), coefficients(json), 1e-4, "coefficients");
        double min = values("diabetes.ls.mse")[0];
        double mse = jsonNumber(json, "mse");
        assertTrue(mse >= min * (1 - 1e-12) && mse <= min * (1 + 1e-6), "MSE " + mse + ", least squares " + min);
    }

    @Test
    void lbfgsReachesTheSameLeastSquaresSolution() throws Exception {
        Path out = dir.resolve("lbfgs");
        JobsTest.Run r = regression(out, "--input", dataset("diabetes.csv").toString(), "--label", "progression",
                "--solver", "lbfgs");
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertEquals("lbfgs", jsonString(json, "solver"), json);
        assertTrue(json.contains("\"converged\": true"), json);
        assertRelative(values("diabetes.ls.coefficients"), coefficients(json), 1e-6, "coefficients");
    }

    @Test
    void ridgeFollowsMllibRegParam() throws Exception {
        Path out = dir.resolve("ridge");
        JobsTest.Run r = regression(out, "--input", dataset("diabetes.csv").toString(), "--label", "progression",
                "--l2", Double.toString(values("diabetes.ridge.l2")[0]));
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertRelative(values("diabetes.ridge.coefficients"), coefficients(json), 1e-6, "ridge coefficients");
    }

    /** The same ridge problems handed to Spark MLlib itself: --l2 is its regParam (elasticNetParam 0). */
    @Test
    void ridgeAgreesWithSparkMllib() throws Exception {
        for (String model : new String[] {"linear", "logistic"}) {
            boolean linear = model.equals("linear");
            String file = linear ? "diabetes.csv" : "breast_cancer.csv";
            String label = linear ? "progression" : "benign";
            double l2 = linear ? 0.1 : 0.01;
            org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df = session.spark().read().option("header", "true")
                    .option("inferSchema", "true").csv(dataset(file).toString());
            String[] features = Arrays.stream(df.columns()).filter(c -> !c.equals(label)).toArray(String[]::new);
            df = new org.apache.spark.ml.feature.VectorAssembler().setInputCols(features).setOutputCol("features")
                    .transform(df);
            double[] mllib;
            if (linear) {
                var m = new org.apache.spark.ml.regression.LinearRegression().setLabelCol(label).setSolver("normal")
                        .setRegParam(l2).setElasticNetParam(0).fit(df);
                mllib = Arrays.copyOf(m.coefficients().toArray(), features.length + 1);
                mllib[features.length] = m.intercept();
            } else {
                var m = new org.apache.spark.ml.classification.LogisticRegression().setLabelCol(label)
                        .setRegParam(l2).setElasticNetParam(0).setTol(1e-12).setMaxIter(1000).fit(df);
                mllib = Arrays.copyOf(m.coefficients().toArray(), features.length + 1);
                mllib[features.length] = m.intercept();
            }
            Path out = dir.resolve("mllib-" + model);
            JobsTest.Run r = regression(out, "--model", model, "--input", dataset(file).toString(), "--label", label,
                    "--l2", Double.toString(l2));
            assertEquals(0, r.code(), r.out() + r.err());
            assertRelative(mllib, coefficients(Files.readString(out.resolve("coefficients.json"))), linear ? 1e-6
                    : 1e-4, model + " ridge against MLlib");
        }
    }

    @Test
    void gradientDescentFollowsTheReferenceTrajectory() throws Exception {
        double[] losses = values("diabetes.gd.losses");
        Path out = dir.resolve("gd");
        JobsTest.Run r = regression(out, "--input", dataset("diabetes.csv").toString(), "--label", "progression",
                "--solver", "gd", "--lr", Double.toString(values("diabetes.gd.lr")[0]), "--epochs",
                Integer.toString(losses.length));
        // 60 epochs on data with condition number 470 do not reach the optimum: the check says so
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("gradient descent has not converged after 60 epochs")
                && r.err().contains("condition number 470") && r.err().contains("--solver auto"), r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertRelative(losses, jsonArray(json, "losses"), 1e-9, "losses");
        assertRelative(values("diabetes.gd.coefficients"), coefficients(json), 1e-9, "coefficients");
    }

    @Test
    void logisticFitOnBreastCancerIsTheMaximumLikelihoodSolution() throws Exception {
        Path out = dir.resolve("logistic");
        JobsTest.Run r = regression(out, "--model", "logistic", "--input", dataset("breast_cancer.csv").toString(),
                "--label", "benign", "--features", ref.getProperty("cancer.mean10.features"));
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertEquals("newton", jsonString(json, "solver"), json);
        assertTrue(json.contains("\"converged\": true"), json);
        assertRelative(values("cancer.mean10.coefficients"), coefficients(json), 1e-6, "coefficients");
        assertEquals(values("cancer.mean10.logLoss")[0], jsonNumber(json, "logLoss"), 1e-12);
        assertEquals(values("cancer.mean10.accuracy")[0], jsonNumber(json, "accuracy"), 1e-12);
    }

    @Test
    void logisticRidgeWithLbfgsAndNewtonMatchTheReference() throws Exception {
        for (String solver : new String[] {"auto", "lbfgs"}) {
            Path out = dir.resolve("logistic-ridge-" + solver);
            JobsTest.Run r = regression(out, "--model", "logistic", "--input", dataset("breast_cancer.csv").toString(),
                    "--label", "benign", "--l2", "0.01", "--solver", solver);
            assertEquals(0, r.code(), r.out() + r.err());
            String json = Files.readString(out.resolve("coefficients.json"));
            assertRelative(values("cancer.ridge.coefficients"), coefficients(json), 1e-6, solver + " coefficients");
        }
    }

    @Test
    void logisticGradientDescentFollowsTheReferenceTrajectory() throws Exception {
        double[] losses = values("cancer.gd.losses");
        Path out = dir.resolve("logistic-gd");
        JobsTest.Run r = regression(out, "--model", "logistic", "--input", dataset("breast_cancer.csv").toString(),
                "--label", "benign", "--solver", "gd", "--lr", Double.toString(values("cancer.gd.lr")[0]),
                "--epochs", Integer.toString(losses.length));
        assertEquals(0, r.code(), r.out() + r.err());
        String json = Files.readString(out.resolve("coefficients.json"));
        assertRelative(losses, jsonArray(json, "losses"), 1e-9, "losses");
        assertRelative(values("cancer.gd.coefficients"), coefficients(json), 1e-9, "coefficients");
    }

    @Test
    void separableClassesEndWithAnExplanation() throws Exception {
        Path out = dir.resolve("separable");
        JobsTest.Run r = regression(out, "--model", "logistic", "--input", dataset("breast_cancer.csv").toString(),
                "--label", "benign");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("linearly separable") && r.err().contains("--l2"), r.err());
    }
}

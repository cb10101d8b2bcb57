package org.tessera.jobs.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.jobs.Main;
import org.tessera.jobs.report.Json;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.TesseraSession;

/**
 * The classifier's gradients (finite differences; distributed and barrier against the single-node
 * engine), training in each mode, reproducibility, task retries, the saved model and bad input.
 * One local[2,4] session (two slots, up to four attempts per task) serves every test.
 */
class ClassifyTest {
    private static TesseraSession ts;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        ts = TesseraSession.builder().master("local[2,4]").appName("classify-test")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        ts.close();
    }

    /** Three well separated classes in d dims, labelled by {@code names}; every value from the seed. */
    static double[][] blobs(int n, int d, long seed, int[] labels) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(3);
            for (int j = 0; j < d; j++) {
                x[i][j] = (j % 3 == labels[i] ? 3 : 0) + r.nextGaussian() + 10 * j;
            }
        }
        return x;
    }

    static double[] flat(double[][] x) {
        int d = x[0].length;
        double[] f = new double[x.length * d];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, f, i * d, d);
        }
        return f;
    }

    static Path csv(Path file, int n, long seed, String[] names) throws Exception {
        int[] y = new int[n];
        double[][] x = blobs(n, 4, seed, y);
        StringBuilder sb = new StringBuilder("a,b,c,d,kind\n");
        for (int i = 0; i < n; i++) {
            for (double v : x[i]) {
                sb.append(v).append(',');
            }
            sb.append(names[y[i]]).append('\n');
        }
        Files.writeString(file, sb);
        return file;
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream old = System.out;
        System.setOut(o);
        try {
            int code = Main.run(args, o, e);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    // ---------------------------------------------------------------- gradients

    private static void checkFiniteDifferences(int[] layers) {
        Network net = new Network(layers, DType.FLOAT64);
        int n = 7;
        int[] y = new int[n];
        double[][] rows = blobs(n, layers[0], 5, y);
        for (int i = 0; i < n; i++) {
            y[i] = y[i] % layers[layers.length - 1];
        }
        Tensor x = ClassifierModel.standardize(Tessera.fromArray(flat(rows), n, layers[0]), new double[layers[0]],
                onesOf(layers[0]), DType.FLOAT64).mul(0.1);
        double[] p = net.init(3);
        double[] g = net.lossAndGradient(x, y, n, p).gradient();
        double h = 1e-6;
        for (int i = 0; i < p.length; i++) {
            double[] plus = p.clone();
            double[] minus = p.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (net.lossAndGradient(x, y, n, plus).loss() - net.lossAndGradient(x, y, n, minus).loss())
                    / (2 * h);
            assertEquals(fd, g[i], 1e-7 * Math.max(1, Math.abs(fd)), "parameter " + i + " of " + p.length);
        }
    }

    private static double[] onesOf(int d) {
        double[] o = new double[d];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    @Test
    void softmaxGradientMatchesFiniteDifferences() {
        checkFiniteDifferences(new int[] {4, 3});
    }

    @Test
    void mlpGradientMatchesFiniteDifferences() {
        checkFiniteDifferences(new int[] {4, 5, 3, 3});
    }

    @Test
    void distributedGradientEqualsTheSingleNodeOne() {
        Network net = new Network(new int[] {4, 6, 3}, DType.FLOAT64);
        int n = 90;
        int[] y = new int[n];
        Tensor x = Tessera.fromArray(flat(blobs(n, 4, 11, y)), n, 4).sub(15).div(10);
        Tensor onehot = Network.oneHot(y, 3, DType.FLOAT64);
        double[] p = net.init(7);
        Network.Part local = net.lossAndGradient(x, onehot, n, p);
        Tensor dx = ts.distribute(x, BlockGrid.of(new long[] {40, 30, 20}, new long[] {4}));
        Tensor dy = ts.distribute(onehot, BlockGrid.of(new long[] {40, 30, 20}, new long[] {3}));
        Network.Part dist = net.lossAndGradient(dx, dy, n, p);
        assertEquals(local.loss(), dist.loss(), 1e-12);
        assertEquals(local.correct(), dist.correct());
        for (int i = 0; i < p.length; i++) {
            assertEquals(local.gradient()[i], dist.gradient()[i], 1e-9, "parameter " + i);
        }
    }

    /** [n, d+1] distributed: standardized features, then the class index; three row blocks. */
    private static Tensor barrierData(Tensor x, int[] y) {
        int n = y.length;
        double[] yd = java.util.Arrays.stream(y).asDoubleStream().toArray();
        Tensor data = Tessera.cat(List.of(x, Tessera.fromArray(yd, n, 1)), 1);
        long third = n / 3;
        return ts.persist(ts.distribute(data, BlockGrid.of(new long[] {third, third, n - 2 * third},
                new long[] {x.size(1) + 1})));
    }

    @Test
    void barrierSummedGradientEqualsTheFullBatchGradient() {
        Network net = new Network(new int[] {4, 5, 3}, DType.FLOAT64);
        int n = 60;
        int[] y = new int[n];
        Tensor x = Tessera.fromArray(flat(blobs(n, 4, 13, y)), n, 4).sub(15).div(10);
        // plain SGD with step 1 over one full batch: the update is minus the summed gradient
        Training.Settings s = new Training.Settings("sgd", 1.0, 0, n, 1, 1, 0, 5);
        Training.Result r = BarrierTraining.miniBatch(ts, net, barrierData(x, y), s, 2);
        double[] p0 = net.init(5);
        double[] g = net.lossAndGradient(x, y, n, p0).gradient();
        for (int i = 0; i < p0.length; i++) {
            assertEquals(g[i], p0[i] - r.params()[i], 1e-9, "parameter " + i);
        }
    }

    @Test
    void barrierRunSurvivesAFailedTaskWithIdenticalWeights() {
        Network net = new Network(new int[] {4, 5, 3}, DType.FLOAT64);
        int n = 60;
        int[] y = new int[n];
        Tensor x = Tessera.fromArray(flat(blobs(n, 4, 17, y)), n, 4).sub(15).div(10);
        Tensor data = barrierData(x, y);
        Training.Settings s = new Training.Settings("adam", 0.01, 0, 20, 1, 1, 0, 9);   // 3 steps
        Training.Result clean = BarrierTraining.miniBatch(ts, net, data, s, 2);
        System.setProperty(BarrierTraining.FAIL_PROPERTY, "2");
        Training.Result retried;
        try {
            retried = BarrierTraining.miniBatch(ts, net, data, s, 2);
        } finally {
            System.clearProperty(BarrierTraining.FAIL_PROPERTY);
        }
        assertArrayEquals(clean.params(), retried.params());
        assertFalse(java.util.Arrays.equals(clean.params(), net.init(9)), "training moved the weights");
    }

    // ---------------------------------------------------------------- the job

    private static double accuracy(Path out, String key) throws Exception {
        Map<?, ?> m = (Map<?, ?>) Json.parse(Files.readString(out.resolve("metrics.json")));
        return (Double) m.get(key);
    }

    private void trainsInMode(String mode, String optimizer) throws Exception {
        String[] names = {"eel", "cat", "dog"};
        Path train = csv(dir.resolve("train.csv"), 600, 1, names);
        Path test = csv(dir.resolve("test.csv"), 300, 2, names);
        Path out = dir.resolve("out-" + mode);
        Run r = run("classify", "--input", train.toString(), "--test", test.toString(), "--label", "kind", "--model",
                "mlp", "--hidden", "8", "--optimizer", optimizer, "--lr", "0.05", "--batch-size", "50", "--epochs", "4",
                "--iterations", "15", "--dtype", "float64", "--mode", mode, "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(accuracy(out, "testAccuracy") >= 0.9, r.out());
        assertTrue(r.out().contains(mode + " mode"), r.out());
        ClassifierModel m = ClassifierModel.load(out.resolve("model"));
        assertEquals(List.of("cat", "dog", "eel"), m.labels());
        assertEquals(List.of("a", "b", "c", "d"), m.featureColumns());
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);
    }

    @Test
    void localModeTrainsToAStatedAccuracy() throws Exception {
        trainsInMode("local", "adam");
    }

    @Test
    void barrierModeTrainsToAStatedAccuracy() throws Exception {
        trainsInMode("barrier", "adam");
    }

    @Test
    void driverModeTrainsWithLbfgsToAStatedAccuracy() throws Exception {
        trainsInMode("driver", "lbfgs");
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsAndTheSavedModelPredictsTheSame() throws Exception {
        double[][] w = new double[2][];
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("seed" + i);
            Run r = run("classify", "--rows", "1200", "-d", "6", "--classes", "3", "--model", "mlp", "--hidden", "7",
                    "--optimizer", "sgd", "--lr", "0.05", "--epochs", "2", "--batch-size", "100", "--mode", "barrier",
                    "--seed", "4", "--out", out.toString());
            assertEquals(0, r.code(), r.out() + r.err());
            ClassifierModel m = ClassifierModel.load(out.resolve("model"));
            w[i] = m.weights(0);
        }
        assertArrayEquals(w[0], w[1]);

        // save and load: the same predictions, probabilities and description
        Path out = dir.resolve("seed0");
        ClassifierModel m = ClassifierModel.load(out.resolve("model"));
        Tensor raw = Tessera.randn(new org.tessera.Generator(1), DType.FLOAT64, 50, 6);
        m.save(dir.resolve("copy"));
        ClassifierModel back = ClassifierModel.load(dir.resolve("copy"));
        assertArrayEquals(m.predict(raw).toLongArray(), back.predict(raw).toLongArray());
        assertArrayEquals(m.probabilities(raw).toFloatArray(), back.probabilities(raw).toFloatArray());
        assertEquals(DType.FLOAT32, back.dtype());
        assertEquals("mlp", back.kind());
        assertEquals(List.of("0", "1", "2"), back.labels());
        ClassifierModel shipped = serialized(m);
        assertArrayEquals(m.logits(raw).toFloatArray(), shipped.logits(raw).toFloatArray());
    }

    private static ClassifierModel serialized(ClassifierModel m) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (var o = new java.io.ObjectOutputStream(b)) {
            o.writeObject(m);
        }
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(b.toByteArray()))) {
            return (ClassifierModel) in.readObject();
        }
    }

    @Test
    void loadNamesWhatIsWrongWithAModelFolder() throws Exception {
        Path model = dir.resolve("m");
        ClassifierModel.ofArrays(new int[] {2, 3}, DType.FLOAT64, List.of("u", "v"), null, List.of("a", "b", "c"),
                "string", new double[2], new double[] {1, 1}, new double[][] {new double[6]},
                new double[][] {new double[3]}).save(model);
        assertEquals(3, ClassifierModel.load(model).numClasses());
        String json = Files.readString(model.resolve("model.json"));
        Files.writeString(model.resolve("model.json"), json.replace("\"version\": 1", "\"version\": 7"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassifierModel.load(model));
        assertTrue(e.getMessage().contains("version 7 is not supported"), e.getMessage());
        Files.writeString(model.resolve("model.json"), json.replace("[2, 3]", "[2, 4]"));
        e = assertThrows(IllegalArgumentException.class, () -> ClassifierModel.load(model));
        assertTrue(e.getMessage().contains("w0.arrow holds a tensor of shape [2, 3]"), e.getMessage());
        Files.writeString(model.resolve("model.json"), json);
        Files.delete(model.resolve("b0.arrow"));
        e = assertThrows(IllegalArgumentException.class, () -> ClassifierModel.load(model));
        assertTrue(e.getMessage().contains("b0.arrow") && e.getMessage().contains("missing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClassifierModel.load(dir.resolve("nowhere")));
        assertTrue(e.getMessage().contains("no model.json"), e.getMessage());
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void helpDescribesTheOptionsAndTheModes() {
        Run r = run("classify", "--help");
        assertEquals(0, r.code(), r.err());
        for (String option : List.of("--input", "--test", "--label", "--features-column", "--model", "--hidden",
                "--optimizer", "--lr", "--momentum", "--batch-size", "--epochs", "--iterations", "--l2", "--seed",
                "--mode", "--out", "--master")) {
            assertTrue(r.out().contains(option), option + " in:\n" + r.out());
        }
        assertTrue(r.out().contains("barrier (one Spark barrier stage"), r.out());
        assertError(run("classify", "--optimizer", "rmsprop"), "--optimizer: expected adam, sgd or lbfgs, got"
                + " 'rmsprop'");
        assertError(run("classify", "--model", "softmax", "--hidden", "8"), "--hidden [8] is for --model mlp");
    }

    private static void assertError(Run r, String expected) {
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void badInputEndsWithAClearMessage() throws Exception {
        Path train = csv(dir.resolve("train.csv"), 60, 1, new String[] {"x", "y", "z"});
        Path test = csv(dir.resolve("test.csv"), 30, 2, new String[] {"x", "y", "w"});
        String out = dir.resolve("o").toString();
        assertError(run("classify", "--input", train.toString(), "--test", test.toString(), "--label", "kind",
                "--epochs", "1", "--mode", "local", "--out", out), "label 'w' in column 'kind' is not one of the 3"
                + " classes of the training data (x, y, z)");
        assertError(run("classify", "--input", train.toString(), "--label", "species", "--out", out),
                "label column 'species' not found");
        assertError(run("classify", "--input", train.toString(), "--label", "kind", "--features", "a,nope", "--out",
                out), "feature column 'nope' not found");
        Path one = csv(dir.resolve("one.csv"), 20, 1, new String[] {"x", "x", "x"});
        assertError(run("classify", "--input", one.toString(), "--label", "kind", "--out", out),
                "label column 'kind' has only the value 'x'; a classifier needs rows of at least two classes");
        Path text = dir.resolve("text.csv");
        Files.writeString(text, "a,kind\n1.5,x\nhello,y\n2.5,x\n");
        assertError(run("classify", "--input", text.toString(), "--label", "kind", "--out", out),
                "feature column 'a' is not numeric");
        // numeric training labels and a test label that is not a number: named, and nothing written
        Path numeric = csv(dir.resolve("numeric.csv"), 60, 1, new String[] {"0", "1", "2"});
        List<String> testLines = new java.util.ArrayList<>(Files.readAllLines(csv(dir.resolve("numeric-test.csv"), 20,
                2, new String[] {"0", "1", "2"})));
        String fifth = testLines.get(5);
        testLines.set(5, fifth.substring(0, fifth.lastIndexOf(',') + 1) + "NA");
        Path na = dir.resolve("na-test.csv");
        Files.write(na, testLines);
        Path naOut = dir.resolve("na-out");
        assertError(run("classify", "--input", numeric.toString(), "--test", na.toString(), "--label", "kind",
                "--epochs", "1", "--mode", "local", "--out", naOut.toString()), "--test " + na + ": label 'NA' in column"
                + " 'kind' is not one of the 3 classes of the training data (0, 1, 2)");
        assertFalse(Files.exists(naOut), "nothing written to " + naOut);
    }

    // ---------------------------------------------------------------- the API

    private static org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> frame(int n, long seed, int partitions) {
        String[] names = {"eel", "cat", "dog"};
        int[] y = new int[n];
        double[][] x = blobs(n, 4, seed, y);
        List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(org.apache.spark.sql.RowFactory.create(x[i][0], x[i][1], x[i][2], x[i][3], names[y[i]]));
        }
        var schema = new org.apache.spark.sql.types.StructType().add("a", "double").add("b", "double")
                .add("c", "double").add("d", "double").add("kind", "string");
        return ts.spark().createDataFrame(ts.sparkContext().parallelize(rows, partitions), schema);
    }

    @Test
    void classifierApiTrainsOnADataFrameAndEvenOutOneBlockOfRows() {
        var cachedBefore = new java.util.HashSet<>(scala.jdk.javaapi.CollectionConverters.asJava(
                ts.sparkContext().sc().getPersistentRDDs()).keySet());
        Classifier c = new Classifier().model("mlp").hidden(8).lr(0.05).batchSize(50).epochs(4).seed(3)
                .dtype(DType.FLOAT64).mode("barrier");
        // one partition, as a file of one Parquet row group is read: cut into one even block per slot
        Classifier.Fit one = c.fit(ts, frame(600, 1, 2).coalesce(1), "kind", List.of());
        assertEquals(2, one.rowBlocks());
        assertEquals("barrier", one.mode());
        assertEquals(600, one.rows());
        assertEquals(4, one.epochs().size());
        // the same rows already in two even partitions: the same blocks and mini-batches, so the same
        // weights but for the last bits (the moments differ in theirs; bit-identical weights are
        // promised for the same input and partitioning, checked below)
        Classifier.Fit two = c.fit(ts, frame(600, 1, 2), "kind", List.of("a", "b", "c", "d"));
        assertEquals(2, two.rowBlocks());
        assertArrayEquals(two.model().mean(), one.model().mean(), 1e-12);
        assertArrayEquals(two.model().weights(0), one.model().weights(0), 1e-9);
        assertArrayEquals(two.model().biases(1), one.model().biases(1), 1e-9);
        Classifier.Fit again = c.fit(ts, frame(600, 1, 2).coalesce(1), "kind", List.of());
        assertArrayEquals(one.model().weights(0), again.model().weights(0), "the same input: the same bits");
        assertEquals(List.of("cat", "dog", "eel"), one.model().labels());
        assertEquals(List.of("a", "b", "c", "d"), one.model().featureColumns());

        Classifier.Evaluation e = Classifier.evaluate(ts, one.model(), frame(300, 2, 3), "kind");
        assertEquals(300, e.rows());
        assertTrue(e.accuracy() >= 0.9, "test accuracy " + e.accuracy());
        long total = 0;
        long diagonal = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                total += e.confusion()[i][j];
                diagonal += i == j ? e.confusion()[i][j] : 0;
            }
        }
        assertEquals(300, total);
        assertEquals(e.accuracy(), diagonal / 300.0, 0);
        // nothing stays cached: the blocks read and the even blocks are dropped when the fit ends
        var cachedAfter = new java.util.HashSet<>(scala.jdk.javaapi.CollectionConverters.asJava(
                ts.sparkContext().sc().getPersistentRDDs()).keySet());
        cachedAfter.removeAll(cachedBefore);
        assertTrue(cachedAfter.isEmpty(), "RDDs still cached after the fits: " + cachedAfter);
    }

    @Test
    void anArrayColumnInOneBlockIsCutIntoEvenBlocksToo() {
        var df = frame(600, 1, 2).coalesce(1).selectExpr("array(a, b, c, d) as features", "kind");
        Classifier.Fit fit = new Classifier().model("softmax").lr(0.05).batchSize(50).epochs(2).seed(3)
                .dtype(DType.FLOAT64).mode("barrier").fitArrayColumn(ts, df, "kind", "features");
        assertEquals(2, fit.rowBlocks(), "one block per slot");
        assertEquals(600, fit.rows());
        Classifier.Fit columns = new Classifier().model("softmax").lr(0.05).batchSize(50).epochs(2).seed(3)
                .dtype(DType.FLOAT64).mode("barrier").fit(ts, frame(600, 1, 2).coalesce(1), "kind",
                        List.of("a", "b", "c", "d"));
        assertArrayEquals(columns.model().weights(0), fit.model().weights(0), "the same rows in the same blocks");
    }

    @Test
    void barrierModeIsNotChosenWhereSparksNetworkEncryptionIsOn() {
        assertEquals("driver", new Classifier().resolvedMode(false, true));
        var e = assertThrows(IllegalArgumentException.class, () -> new Classifier().mode("barrier")
                .resolvedMode(false, true));
        assertTrue(e.getMessage().contains("unencrypted"), e.getMessage());
        assertEquals("driver", new Classifier().mode("driver").resolvedMode(false, true));
        assertEquals("barrier", new Classifier().resolvedMode(false, false));
        assertEquals("driver", new Classifier().resolvedMode(true, false));
        assertEquals("barrier", new Classifier().resolvedMode(ts), "the test session encrypts nothing");
    }

    @Test
    void classifierApiRefusesBadSettingsNamingTheValue() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Classifier().lr(-1));
        assertEquals("classify: lr: expected a finite number above 0, got -1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Classifier().hidden(8, 0));
        assertEquals("classify: hidden: layer sizes must be at least 1, got [8, 0]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Classifier().model("svm"));
        assertEquals("classify: model: expected softmax or mlp, got 'svm'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Classifier().optimizer("lbfgs").mode("barrier").fit(ts, frame(30, 1, 1), "kind", List.of()));
        assertTrue(e.getMessage().contains("L-BFGS runs in driver or local mode"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Classifier().fit(ts, frame(30, 1, 1), "kind", List.of("a", "kind")));
        assertEquals("classify: the label column 'kind' is also a feature column", e.getMessage());
    }

    @Test
    void evenRowsCutsUnevenBlocksPerSlotWithinTheBlockLimitAndLeavesEvenOnesAlone() {
        Tensor local = Tessera.arange(0, 400, 1, DType.FLOAT64).reshape(100, 4);
        Tensor even = ts.distribute(local, 50, 4);
        assertTrue(even == Classifier.evenRows(ts, even, 2), "even blocks are kept as they are");
        Tensor uneven = ts.distribute(local, BlockGrid.of(new long[] {90, 10}, new long[] {4}));
        Tensor cut = Classifier.evenRows(ts, uneven, 2);
        assertArrayEquals(new long[] {50, 50}, ts.grid(cut).chunks(0));
        assertArrayEquals(local.toDoubleArray(), ts.collect(cut).toDoubleArray());
        String key = "spark.tessera.block.maxBytes";
        ts.spark().conf().set(key, "1000");   // 31 rows of 32 bytes: four blocks of 25 rows, not two of 50
        try {
            Tensor bounded = Classifier.evenRows(ts, uneven, 2);
            assertArrayEquals(new long[] {25, 25, 25, 25}, ts.grid(bounded).chunks(0));
            assertArrayEquals(local.toDoubleArray(), ts.collect(bounded).toDoubleArray());
            ts.unpersist(bounded);
        } finally {
            ts.spark().conf().unset(key);
        }
        ts.unpersist(cut);
    }
}

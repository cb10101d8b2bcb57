package org.tessera.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.jobs.classify.ClassifierModel;
import org.tessera.jobs.cli.JobException;
import org.tessera.spark.BatchOptions;
import org.tessera.spark.TesseraSession;

/** The score job: predictions equal to the local engine's {@code model.predict} on the same rows. */
class ScoreJobTest {
    private static TesseraSession ts;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        ts = TesseraSession.builder().master("local[2]").appName("score-test").config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        ts.close();
    }

    /** An MLP [3, 5, 3] with seeded weights, standardization, and the given labels. */
    private static ClassifierModel model(List<String> labels, String labelType, DType dtype) {
        Random r = new Random(11);
        int[] layers = {3, 5, 3};
        double[][] w = new double[2][];
        double[][] b = new double[2][];
        for (int i = 0; i < 2; i++) {
            w[i] = r.doubles(layers[i] * layers[i + 1], -1, 1).toArray();
            b[i] = r.doubles(layers[i + 1], -0.5, 0.5).toArray();
        }
        return ClassifierModel.ofArrays(layers, dtype, List.of("x0", "x1", "x2"), null, labels, labelType,
                new double[] {0.1, -0.2, 0.3}, new double[] {1.5, 0.5, 2.0}, w, b);
    }

    /** 61 rows of id, x0, x1, x2 in 3 partitions. */
    private static Dataset<Row> data() {
        return ts.spark().range(0, 61, 1, 3).selectExpr("concat('row', id) as id", "randn(1) as x0", "randn(2) as x1",
                "randn(3) * 2 as x2");
    }

    private static Tensor features(List<Row> rows) {
        double[] v = new double[rows.size() * 3];
        for (int i = 0; i < rows.size(); i++) {
            for (int j = 0; j < 3; j++) {
                v[i * 3 + j] = rows.get(i).getDouble(rows.get(i).fieldIndex("x" + j));
            }
        }
        return Tessera.fromArray(v, rows.size(), 3);
    }

    @Test
    void predictionsAndProbabilitiesEqualTheLocalEnginesOnTheSameRows() {
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            ClassifierModel m = model(List.of("cat", "dog", "emu"), "string", dtype);
            Dataset<Row> df = data();
            List<Row> in = df.collectAsList();
            Dataset<Row> scored = ScoreJob.score(ts, m, df, ScoreJob.Output.ALL, BatchOptions.defaults().batchRows(7));
            assertEquals(List.of("id", "x0", "x1", "x2", "prediction", "probability", "logits"),
                    Arrays.asList(scored.columns()));
            List<Row> got = scored.collectAsList();
            Tensor x = features(in);
            long[] predicted = m.predict(x).toLongArray();
            double[] p = m.probabilities(x).toDoubleArray();
            double[] l = m.logits(x).toDoubleArray();
            double tol = dtype == DType.FLOAT64 ? 1e-12 : 1e-6;
            assertEquals(in.size(), got.size());
            for (int i = 0; i < in.size(); i++) {
                for (int c = 0; c < 4; c++) {
                    assertEquals(in.get(i).get(c), got.get(i).get(c), "row " + i + " kept in order, column " + c);
                }
                assertEquals(m.labels().get((int) predicted[i]), got.get(i).getString(4), dtype + ", row " + i);
                List<Double> pr = got.get(i).getList(5);
                List<Double> lg = got.get(i).getList(6);
                for (int k = 0; k < 3; k++) {
                    assertEquals(p[i * 3 + k], pr.get(k), tol, "probability, row " + i);
                    assertEquals(l[i * 3 + k], lg.get(k), tol * 10, "logits, row " + i);
                }
            }
            assertTrue(Arrays.stream(predicted).distinct().count() > 1, "the rows fall into several classes");
        }
    }

    @Test
    void numericLabelsArePredictedAsNumbers() {
        ClassifierModel m = model(List.of("0.0", "1.0", "7.5"), "numeric", DType.FLOAT64);
        Dataset<Row> df = data();
        List<Row> got = ScoreJob.score(ts, m, df, ScoreJob.Output.PREDICTION, BatchOptions.defaults()).collectAsList();
        long[] predicted = m.predict(features(df.collectAsList())).toLongArray();
        double[] values = {0.0, 1.0, 7.5};
        for (int i = 0; i < got.size(); i++) {
            assertEquals(values[(int) predicted[i]], got.get(i).getDouble(4), 0, "row " + i);
        }
    }

    @Test
    void inputColumnNamesAreComparedWithTheOutputsIgnoringCaseAsSparkDoes() {
        ClassifierModel m = model(List.of("cat", "dog", "emu"), "string", DType.FLOAT64);
        // an input column named like an internal one, in another case, is no obstacle
        Dataset<Row> df = data().selectExpr("*", "'x' as _CLASS", "'y' as _Probability");
        List<Row> got = ScoreJob.score(ts, m, df, ScoreJob.Output.ALL, BatchOptions.defaults()).collectAsList();
        assertEquals(61, got.size());
        assertEquals("x", got.get(0).getString(4));
        JobException e = assertThrows(JobException.class, () -> ScoreJob.score(ts, m,
                data().selectExpr("*", "1 as Prediction"), ScoreJob.Output.PREDICTION, BatchOptions.defaults()));
        assertTrue(e.getMessage().contains("the input already has a column 'Prediction'"), e.getMessage());
    }

    @Test
    void theJobWritesEveryInputColumnAndThePredictionAndSaysWhereItRan() throws Exception {
        ClassifierModel m = model(List.of("cat", "dog", "emu"), "string", DType.FLOAT64);
        Path modelDir = dir.resolve("model");
        m.save(modelDir);
        Path input = dir.resolve("in.parquet");
        Dataset<Row> df = data();
        df.write().parquet(input.toString());
        Path out = dir.resolve("scored");
        JobsTest.Run r = JobsTest.run("score", "--master", "local[2]", "--model", modelDir.toString(), "--input",
                input.toString(), "--out", out.toString(), "--output", "probabilities", "--batch-rows", "5");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("scored 61 rows in "), r.out());
        assertTrue(r.out().contains("scored on cpu (") || r.out().contains("scored on cuda:"), r.out());
        Dataset<Row> written = ts.spark().read().parquet(out.toString());
        assertEquals(List.of("id", "x0", "x1", "x2", "prediction", "probability"), Arrays.asList(written.columns()));
        List<Row> in = df.collectAsList();
        long[] predicted = m.predict(features(in)).toLongArray();
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < in.size(); i++) {
            expected.put(in.get(i).getString(0), m.labels().get((int) predicted[i]));
        }
        List<Row> rows = written.collectAsList();
        assertEquals(61, rows.size());
        for (Row row : rows) {
            assertEquals(expected.get(row.getString(0)), row.getString(4), row.getString(0));
        }
    }

    @Test
    void aMissingFeatureColumnIsAOneLineError() throws Exception {
        ClassifierModel m = model(List.of("a", "b", "c"), "string", DType.FLOAT64);
        Path modelDir = dir.resolve("model");
        m.save(modelDir);
        Path input = dir.resolve("in.parquet");
        data().drop("x1").write().parquet(input.toString());
        JobsTest.Run r = JobsTest.run("score", "--master", "local[2]", "--model", modelDir.toString(), "--input",
                input.toString(), "--out", dir.resolve("o").toString());
        JobsTest.assertOneLineError(r, 1, "feature column 'x1' not found; the columns are: id, x0, x2");
    }

    @Test
    void csvInputIsScoredAndAMalformedLineIsAOneLineError() throws Exception {
        ClassifierModel m = model(List.of("cat", "dog", "emu"), "string", DType.FLOAT64);
        Path modelDir = dir.resolve("model");
        m.save(modelDir);
        Path good = dir.resolve("in.csv");
        java.nio.file.Files.writeString(good, "id,x0,x1,x2\na,0.5,-1.0,2.0\nb,-0.25,0.75,-3.0\n");
        Path out = dir.resolve("scored");
        JobsTest.Run r = JobsTest.run("score", "--master", "local[2]", "--model", modelDir.toString(), "--input",
                good.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        List<Row> rows = ts.spark().read().parquet(out.toString()).orderBy("id").collectAsList();
        long[] predicted = m.predict(Tessera.fromArray(new double[] {0.5, -1.0, 2.0, -0.25, 0.75, -3.0}, 2, 3))
                .toLongArray();
        assertEquals(m.labels().get((int) predicted[0]), rows.get(0).getString(4));
        assertEquals(m.labels().get((int) predicted[1]), rows.get(1).getString(4));
        Path bad = dir.resolve("bad.csv");
        java.nio.file.Files.writeString(bad, "id,x0,x1,x2\na,0.5,-1.0,2.0\nb,-0.25,0.75\n");
        JobsTest.Run e = JobsTest.run("score", "--master", "local[2]", "--model", modelDir.toString(), "--input",
                bad.toString(), "--out", dir.resolve("o").toString());
        JobsTest.assertOneLineError(e, 1, "line 3 has 3 fields, the header has 4");
        Path text = dir.resolve("text.csv");
        java.nio.file.Files.writeString(text, "id,x0,x1,x2\na,0.5,NA,2.0\nb,-0.25,0.75,1\n");
        JobsTest.Run t = JobsTest.run("score", "--master", "local[2]", "--model", modelDir.toString(), "--input",
                text.toString(), "--out", dir.resolve("o2").toString());
        JobsTest.assertOneLineError(t, 1, "model feature column 'x1' is not numeric: " + text + " line 2 has 'NA'");
        assertFalse(t.err().contains("--features"), "score has no --features option: " + t.err());
    }
}

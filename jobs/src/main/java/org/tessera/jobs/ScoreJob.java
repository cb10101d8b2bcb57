package org.tessera.jobs;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.jobs.classify.ClassifierModel;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.cli.Outputs;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Cleaning;
import org.tessera.jobs.data.Datasets;
import org.tessera.spark.BatchFunction;
import org.tessera.spark.BatchMetrics;
import org.tessera.spark.BatchOptions;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Applies a saved classifier to a CSV or Parquet file on the executors, batch by batch
 * ({@link TesseraSession#mapBatches}), and writes Parquet with every input column plus
 * {@code prediction} (the class's label as trained) and, as asked, {@code probability} and
 * {@code logits} (array&lt;double&gt;).
 */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Apply a saved classifier to a CSV/Parquet file on the executors.",
            "Writes Parquet: every input column, then prediction (the label as trained),",
            "and probability and/or logits (array<double>) when asked."})
public final class ScoreJob implements Callable<Integer> {
    /** Which columns the job adds after the input's. */
    public enum Output {
        /** prediction only. */
        PREDICTION,
        /** prediction and probability. */
        PROBABILITIES,
        /** prediction and logits. */
        LOGITS,
        /** prediction, probability and logits. */
        ALL;

        static Output parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "prediction" -> PREDICTION;
                case "probabilities", "probability" -> PROBABILITIES;
                case "logits" -> LOGITS;
                case "all" -> ALL;
                default -> throw new JobException("--output: expected prediction, probabilities, logits or all, got '"
                        + s + "'");
            };
        }

        boolean probability() {
            return this == PROBABILITIES || this == ALL;
        }

        boolean logits() {
            return this == LOGITS || this == ALL;
        }
    }

    @Option(names = "--model", paramLabel = "DIR", required = true, description = "model folder (model.json and"
            + " parameter files)")
    Path model;

    @Option(names = "--input", paramLabel = "PATH", required = true, description = "CSV (with a header line) or"
            + " Parquet input")
    String input;

    @Option(names = "--format", paramLabel = "csv|parquet", description = "input format (default: from the name)")
    String format;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "output Parquet folder (replaced"
            + " if it exists)")
    Path out;

    @Option(names = "--output", paramLabel = "prediction|probabilities|logits|all", defaultValue = "prediction",
            description = "columns added: prediction, plus probability, logits or both (default: ${DEFAULT-VALUE})")
    String output;

    @Option(names = "--batch-rows", paramLabel = "N", description = "rows per batch (default: "
            + "spark.tessera.batch.rows, 4096)")
    Integer batchRows;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto", description = "executor"
            + " device: auto (the task's GPU when usable, else the CPU), cpu, or cuda (an error without a usable"
            + " GPU) (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--drop-missing", description = "skip rows with an empty, NaN or infinite feature, and say how"
            + " many (default: such a row is an error naming it)")
    boolean dropMissing;

    @Option(names = "--drop-malformed", description = "CSV: skip lines with more or fewer fields than the header"
            + " (default: such a line is an error naming it)")
    boolean dropMalformed;

    @Mixin
    SparkOptions spark;

    private final PrintStream console;

    /** A job that prints to standard output. */
    public ScoreJob() {
        this(System.out);
    }

    /** A job that prints to {@code console}. */
    public ScoreJob(PrintStream console) {
        this.console = console;
    }

    /** What a run measured: rows, seconds, and the tasks' report. */
    public record Result(long rows, double seconds, BatchMetrics.Totals metrics) {
        /** Rows per second. */
        public double rowsPerSecond() {
            return rows / seconds;
        }
    }

    @Override
    public Integer call() {
        Output what = Output.parse(output);
        if (batchRows != null && batchRows < 1) {
            throw new JobException("--batch-rows: expected at least 1, got " + batchRows);
        }
        try {
            org.tessera.backend.cuda.DeviceSelector.Mode.parse(device);
        } catch (IllegalArgumentException e) {
            throw new JobException("--device: expected auto, cpu or cuda, got '" + device + "'");
        }
        if (!Files.isDirectory(model)) {
            throw new JobException("--model " + model + ": not a folder (expected a model saved by the classify job)");
        }
        ClassifierModel m;
        try {
            m = ClassifierModel.load(model);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new JobException("--model " + model + ": " + e.getMessage());
        }
        Datasets.requireExists(input, "input file");
        Outputs.requireWritable(out);
        spark.config(TesseraConf.DEVICE.name(), device);
        try (TesseraSession ts = spark.open("score")) {
            Dataset<Row> df = Datasets.read(ts.spark(), input, format);
            List<String> cols = featureColumns(m, df);
            boolean csv = Datasets.formatOf(input, format).equals("csv");
            if (csv || dropMissing) {
                List<Cleaning.Chosen> chosen = new ArrayList<>();
                cols.forEach(c -> chosen.add(new Cleaning.Chosen(c, "model feature")));
                Cleaning.Result cleaned = Cleaning.cleanKeepingAllColumns(ts.spark(), input, format, df, chosen,
                        dropMalformed, dropMissing);
                df = cleaned.df();
                if (cleaned.note() != null) {
                    console.println("data: " + cleaned.note());
                }
            }
            console.printf(Locale.ROOT, "model: %s %s, %d features, %d classes; scoring %s%n", m.kind(),
                    java.util.Arrays.toString(m.layers()), m.numFeatures(), m.numClasses(), input);
            Result r = scoreToParquet(ts, m, df, what, batchRows == null ? 0 : batchRows, out);
            console.printf(Locale.ROOT, "scored %,d rows in %.2fs: %,.0f rows/s%n", r.rows(), r.seconds(),
                    r.rowsPerSecond());
            console.printf(Locale.ROOT, "scored on %s; at most %,d off-heap bytes per batch%n", r.metrics().devices(),
                    r.metrics().peakBatchBytes());
            console.println("wrote " + out);
        }
        return 0;
    }

    /** The model's input columns in {@code df}, each checked to exist. */
    static List<String> featureColumns(ClassifierModel m, Dataset<Row> df) {
        List<String> cols = m.featureArrayColumn() != null ? List.of(m.featureArrayColumn()) : m.featureColumns();
        for (String c : cols) {
            Datasets.requireColumn(df, c, "feature");
        }
        return cols;
    }

    /**
     * Scores {@code df} and writes it to {@code out} as Parquet (replacing it), encoded column by
     * column ({@link TesseraSession#writeParquet}); returns what was measured.
     */
    public static Result scoreToParquet(TesseraSession ts, ClassifierModel m, Dataset<Row> df, Output what,
                                        int batchRows, Path out) {
        BatchMetrics metrics = BatchMetrics.register(ts.spark(), "score");
        Dataset<Row> scored = score(ts, m, df, what, BatchOptions.defaults().batchRows(batchRows).metrics(metrics));
        long t0 = System.nanoTime();
        ts.writeParquet(scored, out.toString());
        double secs = (System.nanoTime() - t0) / 1e9;
        BatchMetrics.Totals t = metrics.value();
        return new Result(t.rows(), secs, t);
    }

    /**
     * {@code df} with the model's outputs appended (lazy): {@code prediction} (the label as trained: a
     * string, or a double for a numeric label), then {@code probability} and {@code logits} as asked.
     *
     * @throws JobException for a missing feature column
     */
    public static Dataset<Row> score(TesseraSession ts, ClassifierModel m, Dataset<Row> df, Output what,
                                     BatchOptions options) {
        List<String> cols = featureColumns(m, df);
        for (String taken : new String[] {"prediction", "probability", "logits"}) {
            for (String c : df.columns()) {
                // Spark ignores case in column names: "Prediction" and "prediction" would clash
                if (c.equalsIgnoreCase(taken)) {
                    throw new JobException("the input already has a column '" + c + "', which Spark would not tell"
                            + " apart from the output column '" + taken + "'; rename it before scoring");
                }
            }
        }
        String index = freshName(df, "_class");
        StructType schema = new StructType().add(index, DataTypes.LongType, false);
        if (what.probability()) {
            schema = schema.add(freshName(df, "_probability"), DataTypes.createArrayType(DataTypes.DoubleType, false),
                    false);
        }
        if (what.logits()) {
            schema = schema.add(freshName(df, "_logits"), DataTypes.createArrayType(DataTypes.DoubleType, false),
                    false);
        }
        BatchFunction fn = new ModelOutputs(m, what);
        DataFrameOptions dfo = options.dataFrameOptions().dtype(m.dtype());
        Dataset<Row> mapped = ts.mapBatches(df, cols, fn, schema, options.dataFrameOptions(dfo));
        boolean numeric = m.labelType().equals("numeric");
        Column[] labels = m.labels().stream().map(l -> functions.lit(numeric ? (Object) Double.parseDouble(l) : l))
                .toArray(Column[]::new);
        List<Column> select = new ArrayList<>();
        for (String c : df.columns()) {
            select.add(mapped.col(quoted(c)));
        }
        select.add(functions.element_at(functions.array(labels), mapped.col(quoted(index)).plus(1).cast("int"))
                .as("prediction"));
        int k = 1;
        if (what.probability()) {
            select.add(mapped.col(quoted(schema.fields()[k++].name())).as("probability"));
        }
        if (what.logits()) {
            select.add(mapped.col(quoted(schema.fields()[k].name())).as("logits"));
        }
        return mapped.select(select.toArray(Column[]::new));
    }

    /** A column name as {@code Dataset.col} reads it literally (a dot in a name would otherwise mean a struct field). */
    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** {@code base}, or {@code base} with a number, that no column of {@code df} has (ignoring case, as Spark does). */
    private static String freshName(Dataset<Row> df, String base) {
        java.util.Set<String> cols = new java.util.HashSet<>();
        for (String c : df.columns()) {
            cols.add(c.toLowerCase(java.util.Locale.ROOT));
        }
        String name = base;
        for (int i = 1; cols.contains(name.toLowerCase(java.util.Locale.ROOT)); i++) {
            name = base + i;
        }
        return name;
    }

    /** The model's outputs for one batch: the class index, then probabilities and logits as asked. */
    private record ModelOutputs(ClassifierModel model, Output what) implements BatchFunction {
        @Override
        public List<Tensor> apply(Tensor batch) {
            Tensor logits = model.logits(batch);
            List<Tensor> out = new ArrayList<>();
            out.add(logits.argmax(1, false));
            if (what.probability()) {
                out.add(logits.softmax(1).to(DType.FLOAT64));
            }
            if (what.logits()) {
                out.add(logits.to(DType.FLOAT64));
            }
            return out;
        }
    }
}

package org.tessera.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Generator;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.backend.Backends;
import org.tessera.graph.Attrs;
import org.tessera.graph.Op;
import org.tessera.spark.block.Block;
import org.tessera.spark.io.BatchMapper;
import org.tessera.spark.io.DataFrames;
import org.tessera.spark.io.IpcFiles;
import org.tessera.spark.kryo.TesseraKryoRegistrator;
import org.tessera.spark.memory.ExecutorMemory;
import org.tessera.spark.plan.Layout;
import org.tessera.spark.plan.Lowerer;
import org.tessera.spark.plan.Settings;
import org.tessera.spark.plan.Sources;
import org.tessera.spark.plan.SparkBackend;
import org.tessera.spark.plan.SparkValue;

/**
 * The entry point of Tessera on Spark: wraps a {@link SparkSession} and makes distributed tensors,
 * which are ordinary {@link Tensor}s on the {@code spark} device: every op of the engine applies.
 *
 * <p>Operations are lazy, as everywhere in Tessera: they record a graph, checked for shapes on
 * the driver at once; Spark jobs run when a value is read, realized, persisted or collected.
 *
 * <pre>{@code
 * try (TesseraSession ts = TesseraSession.builder().master("local[2]").getOrCreate()) {
 *     Tensor x = ts.randn(DType.FLOAT64, new long[] {1000, 10}, 250, 10);   // 4 row blocks
 *     Tensor w = Tessera.zeros(DType.FLOAT64, 10, 1).requiresGrad(true);   // local
 *     Tensor loss = x.matmul(w).sub(1).square().mean();
 *     loss.backward();                                                    // w.grad() is local
 * }
 * }</pre>
 */
public final class TesseraSession implements AutoCloseable {
    private static volatile TesseraSession active;

    private final SparkSession spark;
    private final JavaSparkContext sc;
    private final boolean owns;
    private final SparkBackend backend;

    private TesseraSession(SparkSession spark, boolean owns) {
        this.spark = spark;
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.owns = owns;
        this.backend = new SparkBackend(spark);
        Backends.register(backend);
        active = this;
    }

    /** A builder; without a master or session it starts an embedded {@code local[*]} Spark. */
    public static Builder builder() {
        return new Builder();
    }

    /** The session most recently created. */
    public static TesseraSession active() {
        TesseraSession s = active;
        if (s == null) {
            throw new IllegalStateException("no TesseraSession: create one with TesseraSession.builder().getOrCreate()");
        }
        return s;
    }

    /** Builds a {@link TesseraSession}. */
    public static final class Builder {
        private SparkSession session;
        private String master;
        private String appName = "tessera";
        private final Map<String, String> conf = new LinkedHashMap<>();

        private Builder() {
        }

        /** Wraps an existing session (its configuration is left as it is). */
        public Builder sparkSession(SparkSession s) {
            this.session = s;
            return this;
        }

        /** The Spark master, such as {@code local[2]} or {@code spark://host:7077}. */
        public Builder master(String m) {
            this.master = m;
            return this;
        }

        /** The application name. */
        public Builder appName(String name) {
            this.appName = name;
            return this;
        }

        /** Any Spark or {@code spark.tessera.*} setting. */
        public Builder config(String key, String value) {
            conf.put(key, value);
            return this;
        }

        /**
         * Wraps the given session, or gets or creates one (with Kryo and Tessera's registrator unless
         * configured otherwise, and an embedded {@code local[*]} master when none is named).
         */
        public TesseraSession getOrCreate() {
            // before MLlib's BLAS can load: one OpenBLAS for both (see Blas.shareWithNetlib); a platform
            // without the bundled OpenBLAS still gets a session (its matmul fails when called, as before)
            try {
                org.tessera.backend.cpu.Blas.library();
            } catch (LinkageError e) {
                // nothing to share
            }
            if (session != null) {
                conf.forEach((k, v) -> session.conf().set(k, v));
                return new TesseraSession(session, false);
            }
            SparkSession.Builder b = SparkSession.builder().appName(appName);
            boolean hasMaster = master != null || conf.containsKey("spark.master")
                    || System.getProperty("spark.master") != null;
            if (!hasMaster) {
                b.master("local[*]");
            } else if (master != null) {
                b.master(master);
            }
            if (!conf.containsKey("spark.serializer")) {
                b.config("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
            }
            if (!conf.containsKey("spark.kryo.registrator")) {
                b.config("spark.kryo.registrator", TesseraKryoRegistrator.class.getName());
            }
            String clean = "spark.cleaner.referenceTracking.cleanCheckpoints";
            if (!conf.containsKey(clean) && System.getProperty(clean) == null) {
                // a checkpointed tensor that becomes unreachable has its files deleted, so an iterative
                // loop that checkpoints every few steps keeps its disk use bounded
                b.config(clean, "true");
            }
            conf.forEach(b::config);
            boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
            return new TesseraSession(b.getOrCreate(), !existed);
        }
    }

    /** The checkpoint directory this session last gave Spark ({@link #checkpoint}), or null. */
    private String checkpointDirSet;

    /** The wrapped Spark session. */
    public SparkSession spark() {
        return spark;
    }

    /** The Java Spark context. */
    public JavaSparkContext sparkContext() {
        return sc;
    }

    /** The device of distributed tensors ({@code spark}). */
    public Device device() {
        return SparkBackend.DEVICE;
    }

    /** The current settings, read from the session's configuration. */
    Settings settings() {
        return Settings.read(spark);
    }

    /** Forces (or, with AUTO, releases) the matmul strategy for later computations. */
    public void matmulStrategy(MatmulStrategy s) {
        spark.conf().set(TesseraConf.MATMUL_STRATEGY.name(), s.confValue());
    }

    // ---------------------------------------------------------------- creation

    private Layout layout(Shape shape, DType dtype, long[] blockShape) {
        if (shape.rank() == 0) {
            throw new IllegalArgumentException("distributed tensors need at least one dim; got a scalar");
        }
        if (blockShape == null || blockShape.length == 0) {
            Settings s = settings();
            return Lowerer.defaultLayout(shape, dtype, s.blockTargetBytes(), sc.defaultParallelism());
        }
        return new Layout(BlockGrid.regular(shape, blockShape), 0);
    }

    private Tensor source(Op op, Shape shape, DType dtype, Object attrs, long[] blockShape) {
        return Tensor.of(Sources.create(sc, settings(), op, shape, dtype, attrs, layout(shape, dtype, blockShape)));
    }

    /** {@code value} everywhere, cut into blocks of {@code blockShape} (default: chosen by size). */
    public Tensor full(long[] shape, Number value, DType dtype, long... blockShape) {
        // a value the dtype cannot hold is refused, as Tessera.full does (not wrapped or saturated)
        Number v = org.tessera.ops.Elementwise.storable("full", value, dtype);
        return source(Op.FILL, Shape.of(shape), dtype, new Attrs.Fill(v), blockShape);
    }

    /** Zeros of the given dtype. Example: {@code ts.zeros(DType.FLOAT64, new long[] {4, 3}, 2, 3)}. */
    public Tensor zeros(DType dtype, long[] shape, long... blockShape) {
        return full(shape, 0, dtype, blockShape);
    }

    /** Zeros of the default float type, default blocks. */
    public Tensor zeros(long... shape) {
        return zeros(DType.defaultFloat(), shape);
    }

    /** Ones of the given dtype. */
    public Tensor ones(DType dtype, long[] shape, long... blockShape) {
        return full(shape, 1, dtype, blockShape);
    }

    /** Ones of the default float type, default blocks. */
    public Tensor ones(long... shape) {
        return ones(DType.defaultFloat(), shape);
    }

    /** {@code start, start + step, …} below {@code end}, as a 1-D tensor in blocks of {@code block}. */
    public Tensor arange(Number start, Number end, Number step, DType dtype, long block) {
        Tensor probe = Tessera.arange(start, end, step, dtype); // checks the range, counts it as the dtype does
        return source(Op.ARANGE, probe.shape(), dtype, probe.node().attrs(), new long[] {block});
    }

    /** Uniform [0, 1) values from the global generator ({@link Tessera#manualSeed}). */
    public Tensor rand(DType dtype, long[] shape, long... blockShape) {
        checkFloating("rand", dtype);
        Generator g = Tessera.defaultGenerator();
        return source(Op.RAND, Shape.of(shape), dtype, new Attrs.Random(g.seed(), g.nextStream()), blockShape);
    }

    /** Standard normal values from the global generator ({@link Tessera#manualSeed}). */
    public Tensor randn(DType dtype, long[] shape, long... blockShape) {
        checkFloating("randn", dtype);
        Generator g = Tessera.defaultGenerator();
        return source(Op.RANDN, Shape.of(shape), dtype, new Attrs.Random(g.seed(), g.nextStream()), blockShape);
    }

    /** Random sources are floating point, as the engine's: refused at the call, not in a task. */
    private static void checkFloating(String op, DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": dtype must be floating, got " + dtype);
        }
    }

    /** A local tensor cut into blocks of {@code blockShape} (default: chosen by size) and sent to the cluster. */
    public Tensor distribute(Tensor local, long... blockShape) {
        Tensor t = local.to(Device.CPU);
        return distribute(t, layout(t.shape(), t.dtype(), blockShape).grid());
    }

    /** A local tensor cut by an explicit (possibly irregular) grid, partitioned along dim 0. */
    public Tensor distribute(Tensor local, BlockGrid grid) {
        Tensor t = local.to(Device.CPU);
        if (!grid.shape().equals(t.shape())) {
            throw new IllegalArgumentException("distribute: the grid covers " + grid.shape() + " but the tensor is "
                    + t.shape());
        }
        Layout layout = new Layout(grid, 0);
        settings().checkBlocks(layout, t.dtype(), "distribute");
        JavaRDD<Block> rdd = Lowerer.distribute(sc, t, layout);
        return Tensor.of(SparkBackend.wrap(new SparkValue.Distributed(rdd, layout, t.dtype())));
    }

    /**
     * The values of a tensor as a local CPU tensor, refused with an error naming
     * {@code spark.tessera.collect.maxBytes} when it is larger.
     */
    public Tensor collect(Tensor t) {
        return t.to(Device.CPU);
    }

    // ---------------------------------------------------------------- inspection and lifetime

    /** The grid of a distributed tensor (realizing it lazily, without a job), or null if it is held on the driver. */
    public BlockGrid grid(Tensor t) {
        SparkValue v = value(t);
        return v instanceof SparkValue.Distributed d ? d.layout().grid() : null;
    }

    /** The partition dim of a distributed tensor (-1 if it is held on the driver). */
    public int partitionDim(Tensor t) {
        SparkValue v = value(t);
        return v instanceof SparkValue.Distributed d ? d.layout().pdim() : -1;
    }

    /** The RDD of blocks behind a distributed tensor (null if it is held on the driver). */
    public JavaRDD<Block> blocks(Tensor t) {
        SparkValue v = value(t);
        return v instanceof SparkValue.Distributed d ? d.rdd() : null;
    }

    private SparkValue value(Tensor t) {
        requireSpark(t, "grid");
        t.realize();
        return (SparkValue) t.node().remote();
    }

    private static void requireSpark(Tensor t, String op) {
        if (!t.device().equals(SparkBackend.DEVICE)) {
            throw new IllegalArgumentException(op + ": expected a tensor on the spark device, got one on " + t.device());
        }
    }

    /**
     * The plan that computing {@code t} would run: one line per step with its layout, the fused
     * elementwise chains and the matmul strategies. Runs no job.
     */
    public String explain(Tensor t) {
        requireSpark(t, "explain");
        Lowerer l = backend.lowerer(true);
        l.lower(t.node());
        return "== Tessera plan ==\n" + l.plan();
    }

    /** Realizes {@code t} and keeps its blocks (storage level {@code spark.tessera.storageLevel}); returns t. */
    public Tensor persist(Tensor t) {
        JavaRDD<Block> rdd = blocks(t);
        if (rdd != null && rdd.getStorageLevel().equals(StorageLevel.NONE())) {
            rdd.persist(ExecutorMemory.blockLevel(settings().storageLevel(), sc.getConf()));
        }
        return t;
    }

    /** Drops the kept blocks of {@code t}. */
    public void unpersist(Tensor t) {
        JavaRDD<Block> rdd = blocks(t);
        if (rdd != null) {
            rdd.unpersist(false);
        }
    }

    /**
     * Computes {@code t} now, keeps its blocks and cuts its lineage (reliable checkpoint when
     * {@code spark.tessera.checkpoint.dir} is set, else a local one); returns a new leaf with the
     * same values and no history, so iterative loops keep plans and driver memory bounded.
     */
    public Tensor checkpoint(Tensor t) {
        requireSpark(t, "checkpoint");
        t.realize();
        SparkValue v = (SparkValue) t.node().remote();
        if (v instanceof SparkValue.Local l) {
            return Tensor.of(SparkBackend.wrap(l));
        }
        SparkValue.Distributed d = (SparkValue.Distributed) v;
        Settings s = settings();
        JavaRDD<Block> rdd = d.rdd().map(Block::compacted); // a slice keeps its own values, not its parent's
        rdd.persist(ExecutorMemory.blockLevel(s.storageLevel(), sc.getConf()));
        if (!s.checkpointDir().isEmpty()) {
            synchronized (this) {
                // once per directory: each setCheckpointDir makes a new subdirectory, and Spark's cleaner
                // only deletes checkpoints under the current one (the earlier ones stayed on disk forever)
                if (!s.checkpointDir().equals(checkpointDirSet) || sc.sc().getCheckpointDir().isEmpty()) {
                    sc.setCheckpointDir(s.checkpointDir());
                    checkpointDirSet = s.checkpointDir();
                }
            }
            rdd.checkpoint();
        } else {
            rdd.rdd().localCheckpoint();
        }
        rdd.count();
        return Tensor.of(SparkBackend.wrap(new SparkValue.Distributed(rdd, d.layout(), d.dtype())));
    }

    /**
     * The same values cut into blocks of {@code blockShape}, partitioned along dim 0 (a shuffle): a
     * new leaf, computed now. A tensor with autograd history is refused rather than cut from its
     * gradient silently; pass {@code t.detach()} to cut it on purpose.
     */
    public Tensor rechunk(Tensor t, long... blockShape) {
        requireSpark(t, "rechunk");
        if (t.requiresGrad()) {
            throw new IllegalArgumentException("rechunk: the tensor " + t.shape() + " requires grad; rechunk computes"
                    + " it and returns a new leaf, which would cut its gradient: rechunk before the ops that need"
                    + " gradients, or pass t.detach() to cut it on purpose");
        }
        t.realize();
        SparkValue v = (SparkValue) t.node().remote();
        Layout target = new Layout(BlockGrid.regular(t.shape(), blockShape), 0);
        SparkValue.Distributed d = v instanceof SparkValue.Distributed dd ? dd : null;
        if (d == null) {
            return distribute(Tensor.of(((SparkValue.Local) v).value()), blockShape);
        }
        return Tensor.of(SparkBackend.wrap(backend.lowerer(false).relayout(d, target)));
    }

    // ---------------------------------------------------------------- DataFrames and files

    /**
     * A 2-D tensor from numeric columns (one tensor column each), one {@code array<float|double>}
     * column, or one Spark ML {@code Vector} column; row blocks follow the DataFrame's partitions
     * and row order is kept. Nulls, NaNs and non-numeric columns are errors unless {@code options} say otherwise.
     */
    public Tensor fromDataFrame(Dataset<Row> df, DataFrameOptions options, String... columns) {
        return DataFrames.toTensor(this, df, options, columns);
    }

    /** {@link #fromDataFrame(Dataset, DataFrameOptions, String...)} with the default options (float64, errors). */
    public Tensor fromDataFrame(Dataset<Row> df, String... columns) {
        return fromDataFrame(df, DataFrameOptions.defaults(), columns);
    }

    /** A DataFrame with one double (or float, …) column per tensor column, named as given; row order kept. */
    public Dataset<Row> toDataFrame(Tensor t, String... columnNames) {
        return DataFrames.toColumns(this, t, columnNames);
    }

    /** A DataFrame with the rows of a 2-D tensor in one array column. */
    public Dataset<Row> toDataFrameArray(Tensor t, String columnName) {
        return DataFrames.toArrayColumn(this, t, columnName);
    }

    /**
     * Applies {@code fn} to the rows of {@code df} in batches on the executors and appends its
     * outputs as new columns; lazy, like any DataFrame transformation.
     *
     * <p>Each task groups its partition's rows into batches of {@code spark.tessera.batch.rows} (or
     * {@link BatchOptions#batchRows}), converts each batch's {@code inputColumns} into one
     * {@code [rows, features]} tensor by the rules of {@link #fromDataFrame} (numeric columns, or one
     * {@code array<float|double>} or ML {@code Vector} column; a null or NaN is an error naming the
     * column and row unless the options say otherwise), and calls {@code fn}, whose tensors are
     * computed on the task's device ({@code spark.tessera.device}: its Spark-assigned GPU when CUDA
     * can use it, else the CPU) and freed before the next batch. A task holds one batch at a time,
     * whatever the partition's size.
     *
     * <p>The result has every column of {@code df} followed by the fields of {@code outputSchema},
     * one per tensor {@code fn} returns: a {@code [rows]} tensor fills a scalar column, a
     * {@code [rows, k]} one an array column, of the type matching its dtype (float64 → double,
     * float32 → float, int64 → bigint, int32 → int, bool → boolean; another dtype is an error).
     * Rows keep their partitions and their order within them.
     *
     * <pre>{@code
     * StructType out = new StructType().add("norm", DataTypes.DoubleType, false);
     * Dataset<Row> withNorm = ts.mapBatches(df, List.of("x", "y", "z"),
     *         batch -> List.of(batch.square().sum(1).sqrt()), out, BatchOptions.defaults());
     * }</pre>
     *
     * @throws IllegalArgumentException at once for a missing or unsupported input column, an output
     *     column that exists already or whose type no tensor fills; in the tasks (wrapped by Spark)
     *     for a null or NaN that the options refuse, or outputs of the wrong number, shape or dtype
     * @throws IllegalStateException in local mode when {@code spark.tessera.device} is cuda and no
     *     GPU is usable
     */
    public Dataset<Row> mapBatches(Dataset<Row> df, java.util.List<String> inputColumns, BatchFunction fn,
                                   org.apache.spark.sql.types.StructType outputSchema, BatchOptions options) {
        return BatchMapper.map(spark, df, inputColumns, fn, outputSchema, options);
    }

    /** {@link #mapBatches(Dataset, java.util.List, BatchFunction, org.apache.spark.sql.types.StructType, BatchOptions)} with the default options. */
    public Dataset<Row> mapBatches(Dataset<Row> df, java.util.List<String> inputColumns, BatchFunction fn,
                                   org.apache.spark.sql.types.StructType outputSchema) {
        return mapBatches(df, inputColumns, fn, outputSchema, BatchOptions.defaults());
    }

    /**
     * Writes {@code df} as Parquet into the folder {@code path}, replacing it, as
     * {@code df.write().mode("overwrite").parquet(path)} does but faster for wide rows: each task
     * encodes its rows in chunks, column after column, instead of row by row (a row of hundreds of
     * numbers, such as the inputs and outputs of {@link #mapBatches}, is written several times
     * faster). The files have what Spark writes: the same Parquet schema, row-schema metadata and
     * codec, page, dictionary and row-group settings of the session. Columns of boolean, byte,
     * short, int, long, float, double, date, string, binary, decimal (up to 18 digits) and arrays of
     * those are written so; a DataFrame with another column type (a timestamp, a struct) is written
     * by Spark's writer. The earlier output is
     * replaced only when every task has succeeded, so {@code path} may be the folder {@code df} reads.
     *
     * @return the files and rows written, and whether the column-wise encoder ran
     * @throws java.io.UncheckedIOException when the output cannot be staged or committed
     */
    public org.tessera.spark.io.ParquetOutput.Result writeParquet(Dataset<Row> df, String path) {
        return org.tessera.spark.io.ParquetOutput.write(spark, df, path);
    }

    /**
     * Writes a tensor of any dtype and rank 1 or more as Arrow IPC files in {@code dir}, one
     * {@code TensorFiles} file per row block (rows as {@code arrow.fixed_shape_tensor}), by tasks in
     * parallel; a tensor cut along other dims is first re-cut into row blocks.
     */
    public void writeIpc(Tensor t, String dir) {
        IpcFiles.write(this, t, dir);
    }

    /** Reads a tensor written by {@link #writeIpc}, one row block per file, in parallel. */
    public Tensor readIpc(String dir) {
        return IpcFiles.read(this, dir);
    }

    /** Stops the Spark session if this object created it. */
    @Override
    public void close() {
        if (owns) {
            spark.stop();
            // the executor of a local session lived in this JVM: its budget and eviction hook go with it
            org.tessera.spark.memory.ExecutorMemory.uninstall();
        }
        if (active == this) {
            active = null;
        }
    }
}

package org.tessera.spark.io;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.datasources.parquet.SparkToParquetSchemaConverter;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Writes a DataFrame as Parquet, encoding each chunk of rows column by column.
 *
 * <p>Spark's Parquet writer hands the encoder one row at a time, and each value goes to its
 * column's dictionary: with hundreds of columns (a row of 784 pixels) every row visits hundreds
 * of dictionaries, which no longer fit in the CPU's caches, and the dictionary lookups become
 * most of the job. Here each task copies up to {@value #CHUNK_ROWS} rows, then writes the chunk's
 * values column after column through parquet-mr's column writers, so a column's dictionary is
 * used for the whole chunk at once (a chunk of long rows ends sooner, at {@value #CHUNK_BYTES}
 * bytes). The file is what Spark writes for the same rows: Spark's schema conversion, its
 * row-schema metadata, the session's codec, page, dictionary and row-group settings. Row groups end
 * at chunk boundaries, and a partition without rows writes no file (unless no partition has rows).
 *
 * <p>Columns of boolean, byte, short, int, long, float, double, date, string, binary and decimal
 * (up to 18 digits), and arrays of those, are written this way; a DataFrame with any other column
 * type (timestamps, wider decimals, structs, maps, nested arrays), with two columns of one name, or
 * with a name that the Parquet schema's text form would not keep (the tasks receive that text) is
 * written by Spark's own writer instead, committed the same way, and {@link Result#columnwise()} says
 * which one ran.
 *
 * <p>Commit: each task attempt writes its own file into a fresh staging folder beside the output
 * (made by the driver; a task never makes it, so one still running after a failed job cannot leave
 * it behind);
 * when every task has succeeded the driver replaces the output folder with the files of the
 * attempts that succeeded and adds {@code _SUCCESS}. A failed job leaves the earlier output in
 * place, and since all reading is done before anything is replaced, the output may be the input's
 * folder.
 */
public final class ParquetOutput {
    /** Rows copied and then encoded column by column. */
    static final int CHUNK_ROWS = 1024;
    /** Bytes of rows copied at most per chunk (rows of long arrays make shorter chunks). */
    static final long CHUNK_BYTES = 16L << 20;

    private ParquetOutput() {
    }

    /**
     * What a write did.
     *
     * @param files the Parquet files written (-1 when Spark's writer ran)
     * @param rows the rows written (-1 when Spark's writer ran)
     * @param fallback null when the column-wise encoder ran, else why Spark's writer ran instead
     */
    public record Result(int files, long rows, String fallback) {
        /** Whether the column-wise encoder wrote the files. */
        public boolean columnwise() {
            return fallback == null;
        }
    }

    /**
     * Writes {@code df} to the folder {@code path} as Parquet, replacing what is there.
     *
     * @throws UncheckedIOException when the output cannot be staged or committed
     */
    public static Result write(SparkSession spark, Dataset<Row> df, String path) {
        StructType schema = df.schema();
        var classic = (org.apache.spark.sql.classic.SparkSession) spark;
        SQLConf sqlConf = classic.sessionState().conf();
        Configuration hadoop = classic.sessionState().newHadoopConf();
        MessageType parquetSchema;
        String unsupported;
        try {
            parquetSchema = new SparkToParquetSchemaConverter(sqlConf).convert(schema);
            unsupported = unsupportedColumn(schema, parquetSchema, sqlConf.caseSensitiveAnalysis());
        } catch (RuntimeException e) {
            parquetSchema = null;
            unsupported = "the schema has no Parquet form here (" + e.getMessage() + ")"; // Spark's writer says why
        }
        if (unsupported == null) {
            unsupported = unsupportedSetting(schema, sqlConf, hadoop);
        }
        Path out = new Path(path);
        String job = UUID.randomUUID().toString();
        Path staging = new Path(out.getParent() == null ? out : out.getParent(), "." + out.getName() + "-staging-"
                + job);
        try {
            FileSystem fs = out.getFileSystem(hadoop);
            try {
                if (unsupported != null) {
                    // Spark's writer into the staging folder, committed as below: the input may still be read from path
                    df.write().parquet(staging.toString());
                    replace(fs, out, staging, List.of());
                    return new Result(-1, -1, unsupported);
                }
                String codecName = sqlConf.parquetCompressionCodec();
                // Spark's names: "none" and "uncompressed" both mean no compression
                CompressionCodecName codec = codecName.equalsIgnoreCase("none") ? CompressionCodecName.UNCOMPRESSED
                        : CompressionCodecName.fromConf(codecName);
                Settings settings = new Settings(parquetSchema.toString(), schema.json(), codec.name(),
                        ParquetOutputFormat.getLongBlockSize(hadoop), ParquetOutputFormat.getPageSize(hadoop),
                        ParquetOutputFormat.getDictionaryPageSize(hadoop),
                        ParquetOutputFormat.getEnableDictionary(hadoop),
                        ParquetOutputFormat.getWriterVersion(hadoop).name(), spark.version());
                SerializableConfiguration conf = new SerializableConfiguration(hadoop);
                String stagingName = staging.toString();
                // made here, and the tasks never make it: a task of a failed job still running after the
                // folder is deleted below cannot bring it back
                if (!fs.mkdirs(staging)) {
                    throw new IOException("could not create " + staging);
                }
                List<Written> written = new ArrayList<>();
                // each successful attempt's file, as text (the task results need no serializer registration)
                for (String w : df.queryExecution().toRdd().toJavaRDD().mapPartitionsWithIndex((p, it) ->
                        writePartition(p, it, settings, stagingName, job, conf.value(), false), false).collect()) {
                    written.add(Written.parse(w));
                }
                if (written.isEmpty()) {
                    // every partition was empty: one file without rows keeps the schema readable
                    written.add(Written.parse(writePartition(0, Collections.emptyIterator(), settings, stagingName,
                            job, hadoop, true).next()));
                }
                written.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
                replace(fs, out, staging, written);
                return new Result(written.size(), written.stream().mapToLong(Written::rows).sum(), null);
            } finally {
                fs.delete(staging, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writeParquet " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Replaces the folder {@code out} by the staged files {@code written} (their final names), or by
     * the whole staging folder when {@code written} is empty (Spark's writer filled it), with {@code _SUCCESS}.
     */
    private static void replace(FileSystem fs, Path out, Path staging, List<Written> written) throws IOException {
        if (fs.exists(out) && !fs.delete(out, true)) {
            throw new IOException("could not delete the earlier output " + out);
        }
        if (written.isEmpty()) {
            if (!fs.rename(staging, out)) {
                throw new IOException("could not move " + staging + " to " + out);
            }
            return;
        }
        if (!fs.mkdirs(out)) {
            throw new IOException("could not create " + out);
        }
        for (Written w : written) {
            Path from = new Path(w.file());
            Path to = new Path(out, w.name());
            if (!fs.rename(from, to)) {
                throw new IOException("could not move " + from + " to " + to);
            }
        }
        fs.create(new Path(out, "_SUCCESS"), true).close();
    }

    /** Why the first column the column-wise encoder does not write is not; null when it writes them all. */
    static String unsupportedColumn(StructType schema, MessageType parquet, boolean caseSensitive) {
        if (schema.fields().length == 0) {
            return "the DataFrame has no columns"; // Spark's writer refuses it, naming the problem
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (StructField f : schema.fields()) {
            if (!names.add(caseSensitive ? f.name() : f.name().toLowerCase(java.util.Locale.ROOT))) {
                // Spark's writer refuses it, naming the column, before anything is replaced
                return "column '" + f.name() + "' appears twice";
            }
        }
        List<ColumnDescriptor> leaves = parquet.getColumns();
        for (int j = 0; j < schema.fields().length; j++) {
            StructField f = schema.fields()[j];
            if (leaves.size() != schema.fields().length || kind(f.dataType(), leaves.get(j)) < 0) {
                return "column '" + f.name() + "' (" + f.dataType().simpleString() + ") is not written column-wise";
            }
            // the tasks receive the Parquet schema as text: a name that the text would change (spaces,
            // parentheses, '=') is written by Spark's writer instead
            MessageType one = new MessageType(parquet.getName(), parquet.getType(j));
            boolean kept;
            try {
                kept = MessageTypeParser.parseMessageType(one.toString()).equals(one);
            } catch (RuntimeException e) {
                kept = false;
            }
            if (!kept) {
                return "column name '" + f.name() + "' is not kept by the schema text the tasks receive";
            }
        }
        return null;
    }

    /** Settings the column-wise encoder honours; any other {@code parquet.*} setting sends the write to Spark's writer. */
    private static final java.util.Set<String> HONOURED = java.util.Set.of(ParquetOutputFormat.BLOCK_SIZE,
            ParquetOutputFormat.PAGE_SIZE, ParquetOutputFormat.DICTIONARY_PAGE_SIZE,
            ParquetOutputFormat.ENABLE_DICTIONARY, ParquetOutputFormat.WRITER_VERSION);

    /**
     * Why a setting of the session asks for what only Spark's writer does (dates rebased to the
     * legacy calendar; a Parquet setting such as encryption or bloom filters); null when none does.
     */
    static String unsupportedSetting(StructType schema, SQLConf sql, Configuration hadoop) {
        String rebase;
        try {
            rebase = sql.getConfString("spark.sql.parquet.datetimeRebaseModeInWrite"); // its default when not set
        } catch (java.util.NoSuchElementException e) {
            rebase = "CORRECTED";
        }
        for (StructField f : schema.fields()) {
            DataType t = f.dataType() instanceof ArrayType a ? a.elementType() : f.dataType();
            if (t == DataTypes.DateType && !rebase.equalsIgnoreCase("CORRECTED")) {
                return "spark.sql.parquet.datetimeRebaseModeInWrite is " + rebase + " and column '" + f.name()
                        + "' holds dates";
            }
        }
        for (Map.Entry<String, String> e : hadoop) {
            if (e.getKey().startsWith("parquet.") && !HONOURED.contains(e.getKey())) {
                return "the Hadoop setting " + e.getKey() + " is honoured by Spark's writer only";
            }
        }
        return null;
    }

    private static final int BOOLEAN = 0;
    private static final int INT = 1;
    private static final int LONG = 2;
    private static final int FLOAT = 3;
    private static final int DOUBLE = 4;
    private static final int BINARY = 5;
    private static final int BYTE = 6;
    private static final int SHORT = 7;
    private static final int STRING = 8;

    private static final int DECIMAL_INT = 9;
    private static final int DECIMAL_LONG = 10;

    /** How a column (or an array column's elements) of type {@code t} is written to {@code leaf}; -1 when it is not. */
    private static int kind(DataType t, ColumnDescriptor leaf) {
        if (t instanceof ArrayType a) {
            t = a.elementType();
            if (t instanceof ArrayType) {
                return -1;
            }
        }
        if (t instanceof DecimalType) {
            // Spark writes a decimal of up to 18 digits as its unscaled int or long (unless in the legacy format)
            return switch (leaf.getPrimitiveType().getPrimitiveTypeName()) {
                case INT32 -> DECIMAL_INT;
                case INT64 -> DECIMAL_LONG;
                default -> -1;
            };
        }
        if (t == DataTypes.BooleanType) {
            return BOOLEAN;
        } else if (t == DataTypes.IntegerType || t == DataTypes.DateType) {
            return INT;
        } else if (t == DataTypes.ByteType) {
            return BYTE;
        } else if (t == DataTypes.ShortType) {
            return SHORT;
        } else if (t == DataTypes.LongType) {
            return LONG;
        } else if (t == DataTypes.FloatType) {
            return FLOAT;
        } else if (t == DataTypes.DoubleType) {
            return DOUBLE;
        } else if (t == DataTypes.StringType) {
            return STRING;
        } else if (t == DataTypes.BinaryType) {
            return BINARY;
        }
        return -1;
    }

    /** The write's settings, as the executors receive them. */
    private record Settings(String parquetSchema, String sparkSchemaJson, String codec, long blockSize, int pageSize,
                            int dictionaryPageSize, boolean dictionary, String writerVersion, String sparkVersion)
            implements Serializable {
    }

    /** One task attempt's file: where it was staged, its final name, its rows. */
    record Written(int partition, String file, String name, long rows) {
        String text() {
            return partition + "\t" + rows + "\t" + name + "\t" + file;
        }

        static Written parse(String text) {
            String[] f = text.split("\t", 4);
            return new Written(Integer.parseInt(f[0]), f[3], f[2], Long.parseLong(f[1]));
        }
    }

    private static Iterator<String> writePartition(int p, Iterator<InternalRow> it, Settings s, String staging,
                                                    String job, Configuration conf, boolean evenIfEmpty)
            throws IOException {
        if (!it.hasNext() && !evenIfEmpty) {
            return Collections.emptyIterator();
        }
        CompressionCodecName codec = CompressionCodecName.valueOf(s.codec());
        String name = String.format(java.util.Locale.ROOT, "part-%05d-%s-c000%s.parquet", p, job,
                codec.getExtension());
        TaskContext task = TaskContext.get();
        long attempt = task == null ? 0 : task.taskAttemptId();
        Path file = new Path(staging, name + "." + attempt);
        StructType sparkSchema = (StructType) DataType.fromJson(s.sparkSchemaJson());
        MessageType schema = MessageTypeParser.parseMessageType(s.parquetSchema());
        ParquetProperties props = ParquetProperties.builder().withPageSize(s.pageSize())
                .withDictionaryPageSize(s.dictionaryPageSize()).withDictionaryEncoding(s.dictionary())
                .withWriterVersion(ParquetProperties.WriterVersion.valueOf(s.writerVersion())).build();
        CodecFactory codecs = new CodecFactory(conf, props.getPageSizeThreshold());
        ParquetFileWriter writer = new ParquetFileWriter(inExistingFolder(file, conf), schema,
                ParquetFileWriter.Mode.CREATE, s.blockSize(), ParquetWriterPadding.NONE);
        long rows = 0;
        boolean done = false;
        try {
            writer.start();
            Columns columns = new Columns(sparkSchema, schema);
            RowGroup group = new RowGroup(schema, props, codecs.getCompressor(codec), 0, columns);
            int groups = 1;
            InternalRow[] chunk = new InternalRow[CHUNK_ROWS];
            while (it.hasNext()) {
                int n = 0;
                long bytes = 0;
                while (n < CHUNK_ROWS && bytes < CHUNK_BYTES && it.hasNext()) {
                    InternalRow r = it.next().copy();
                    chunk[n++] = r;
                    bytes += r instanceof org.apache.spark.sql.catalyst.expressions.UnsafeRow u ? u.getSizeInBytes() : 0;
                }
                group.write(chunk, n);
                rows += n;
                java.util.Arrays.fill(chunk, 0, n, null);
                if (group.bufferedBytes() >= s.blockSize()) {
                    group.flushTo(writer);
                    group = new RowGroup(schema, props, codecs.getCompressor(codec), groups++, columns);
                }
            }
            if (group.rows > 0) {
                group.flushTo(writer);
            }
            writer.end(Map.of("org.apache.spark.sql.parquet.row.metadata", s.sparkSchemaJson(),
                    "org.apache.spark.version", s.sparkVersion()));
            done = true;
        } finally {
            codecs.release();
            if (!done) {
                try {
                    writer.end(Map.of());
                } catch (IOException | RuntimeException ignored) {
                    // the attempt failed already; its file is dropped with the staging folder
                }
            }
        }
        return List.of(new Written(p, file.toString(), name, rows).text()).iterator();
    }

    /** A new file in a folder that must exist already (created without its parents). */
    private static org.apache.parquet.io.OutputFile inExistingFolder(Path file, Configuration conf) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        return new org.apache.parquet.io.OutputFile() {
            @Override
            public org.apache.parquet.io.PositionOutputStream create(long blockSize) throws IOException {
                return open(false, blockSize);
            }

            @Override
            public org.apache.parquet.io.PositionOutputStream createOrOverwrite(long blockSize) throws IOException {
                return open(true, blockSize);
            }

            private org.apache.parquet.io.PositionOutputStream open(boolean overwrite, long blockSize)
                    throws IOException {
                return org.apache.parquet.hadoop.util.HadoopStreams.wrap(fs.createNonRecursive(file, overwrite,
                        1 << 16, fs.getDefaultReplication(file), Math.max(fs.getDefaultBlockSize(file), blockSize),
                        null));
            }

            @Override
            public boolean supportsBlockSize() {
                return true;
            }

            @Override
            public long defaultBlockSize() {
                return fs.getDefaultBlockSize(file);
            }

            @Override
            public String getPath() {
                return file.toString();
            }
        };
    }

    /** No padding of row groups to the file system's block size. */
    private static final class ParquetWriterPadding {
        static final int NONE = 0;
    }

    /** How each top-level column is read from rows and written: its kind, levels and writer slot. */
    private static final class Columns {
        final int[] kinds;
        final boolean[] arrays;
        final boolean[] nullable;
        final boolean[] elementNullable;
        final int[] maxDefinition;
        final int[] precision;
        final int[] scale;

        Columns(StructType spark, MessageType parquet) {
            StructField[] fields = spark.fields();
            int n = fields.length;
            kinds = new int[n];
            arrays = new boolean[n];
            nullable = new boolean[n];
            elementNullable = new boolean[n];
            maxDefinition = new int[n];
            precision = new int[n];
            scale = new int[n];
            List<ColumnDescriptor> leaves = parquet.getColumns();
            for (int j = 0; j < n; j++) {
                DataType t = fields[j].dataType();
                nullable[j] = fields[j].nullable();
                if (t instanceof ArrayType a) {
                    arrays[j] = true;
                    elementNullable[j] = a.containsNull();
                    t = a.elementType();
                }
                kinds[j] = kind(t, leaves.get(j));
                maxDefinition[j] = leaves.get(j).getMaxDefinitionLevel();
                if (t instanceof DecimalType d) {
                    precision[j] = d.precision();
                    scale[j] = d.scale();
                }
            }
        }
    }

    /** One row group being encoded: a column writer per column, filled chunk by chunk. */
    private static final class RowGroup {
        final ColumnChunkPageWriteStore pages;
        final ColumnWriteStore store;
        final ColumnWriter[] writers;
        final Columns columns;
        long rows;

        RowGroup(MessageType schema, ParquetProperties props, CodecFactory.BytesCompressor compressor, int ordinal,
                 Columns columns) {
            this.columns = columns;
            pages = new ColumnChunkPageWriteStore(compressor, schema, new HeapByteBufferAllocator(),
                    props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled(), null, ordinal);
            store = props.newColumnWriteStore(schema, pages);
            List<ColumnDescriptor> leaves = schema.getColumns();
            writers = new ColumnWriter[leaves.size()];
            for (int j = 0; j < writers.length; j++) {
                writers[j] = store.getColumnWriter(leaves.get(j));
            }
        }

        long bufferedBytes() {
            return store.getBufferedSize();
        }

        void write(InternalRow[] chunk, int n) {
            for (int j = 0; j < writers.length; j++) {
                if (columns.arrays[j]) {
                    writeArrays(j, chunk, n);
                } else {
                    writeScalars(j, chunk, n);
                }
            }
            for (int i = 0; i < n; i++) {
                store.endRecord();
            }
            rows += n;
        }

        private void writeScalars(int j, InternalRow[] chunk, int n) {
            ColumnWriter w = writers[j];
            int dl = columns.maxDefinition[j];
            boolean nullable = columns.nullable[j];
            int kind = columns.kinds[j];
            for (int i = 0; i < n; i++) {
                if (nullable && chunk[i].isNullAt(j)) {
                    w.writeNull(0, 0);
                } else if (kind == DOUBLE) {
                    w.write(chunk[i].getDouble(j), 0, dl); // the common case, without the switch
                } else {
                    write(w, kind, chunk[i], j, 0, dl, columns.precision[j], columns.scale[j]);
                }
            }
        }

        private void writeArrays(int j, InternalRow[] chunk, int n) {
            ColumnWriter w = writers[j];
            int kind = columns.kinds[j];
            // levels: the array defined (if it may be null), then the repeated level, then the element (if it may be null)
            int arrayDefined = columns.nullable[j] ? 1 : 0;
            int repeated = arrayDefined + 1;
            int element = columns.maxDefinition[j];
            for (int i = 0; i < n; i++) {
                if (chunk[i].isNullAt(j)) {
                    w.writeNull(0, 0);
                    continue;
                }
                ArrayData a = chunk[i].getArray(j);
                int len = a.numElements();
                if (len == 0) {
                    w.writeNull(0, arrayDefined);
                    continue;
                }
                if (kind == DOUBLE && !columns.elementNullable[j]) {
                    w.write(a.getDouble(0), 0, element);
                    for (int k = 1; k < len; k++) {
                        w.write(a.getDouble(k), 1, element);
                    }
                    continue;
                }
                for (int k = 0; k < len; k++) {
                    int rl = k == 0 ? 0 : 1;
                    if (a.isNullAt(k)) {
                        w.writeNull(rl, repeated);
                    } else {
                        write(w, kind, a, k, rl, element, columns.precision[j], columns.scale[j]);
                    }
                }
            }
        }

        /** Value {@code i} of a row or an array (both are Spark's {@code SpecializedGetters}), of {@code kind}. */
        private static void write(ColumnWriter w, int kind, SpecializedGetters g, int i, int rl, int dl, int precision,
                                  int scale) {
            switch (kind) {
                case BOOLEAN -> w.write(g.getBoolean(i), rl, dl);
                case INT -> w.write(g.getInt(i), rl, dl);
                case BYTE -> w.write((int) g.getByte(i), rl, dl);
                case SHORT -> w.write((int) g.getShort(i), rl, dl);
                case LONG -> w.write(g.getLong(i), rl, dl);
                case FLOAT -> w.write(g.getFloat(i), rl, dl);
                case DOUBLE -> w.write(g.getDouble(i), rl, dl);
                case STRING -> w.write(Binary.fromConstantByteArray(g.getUTF8String(i).getBytes()), rl, dl);
                case BINARY -> w.write(Binary.fromConstantByteArray(g.getBinary(i)), rl, dl);
                case DECIMAL_INT -> w.write((int) g.getDecimal(i, precision, scale).toUnscaledLong(), rl, dl);
                case DECIMAL_LONG -> w.write(g.getDecimal(i, precision, scale).toUnscaledLong(), rl, dl);
                default -> throw new IllegalStateException("writeParquet: column kind " + kind);
            }
        }

        void flushTo(ParquetFileWriter writer) throws IOException {
            writer.startBlock(rows);
            store.flush();
            pages.flushToFileWriter(writer);
            writer.endBlock();
            store.close();
            pages.close();
        }
    }
}

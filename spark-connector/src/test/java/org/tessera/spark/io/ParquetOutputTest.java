package org.tessera.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.spark.SharedSpark;
import org.tessera.spark.TesseraSession;

/**
 * {@code TesseraSession.writeParquet}: the column-wise writer gives, file by file, the rows and
 * schema that Spark's writer gives for every column type it takes (nulls, empty arrays, NaN, -0.0,
 * strings, binaries), commits only the attempts that succeeded, keeps the earlier output when a
 * job fails, and hands other column types to Spark's writer.
 */
class ParquetOutputTest {
    private final TesseraSession ts = SharedSpark.session();

    @TempDir
    Path dir;

    private static final StructType ALL = new StructType()
            .add("b", DataTypes.BooleanType, true)
            .add("i8", DataTypes.ByteType, true)
            .add("i16", DataTypes.ShortType, false)
            .add("i32", DataTypes.IntegerType, true)
            .add("i64", DataTypes.LongType, true)
            .add("f32", DataTypes.FloatType, true)
            .add("f64", DataTypes.DoubleType, false)
            .add("day", DataTypes.DateType, true)
            .add("s", DataTypes.StringType, true)
            .add("bin", DataTypes.BinaryType, true)
            .add("probs", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("maybe", DataTypes.createArrayType(DataTypes.DoubleType, true), true)
            .add("words", DataTypes.createArrayType(DataTypes.StringType, true), true)
            .add("ints", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
            .add("flags", DataTypes.createArrayType(DataTypes.BooleanType, true), true)
            .add("money", DataTypes.createDecimalType(9, 2), true)
            .add("big", DataTypes.createDecimalType(18, 0), true)
            .add("amounts", DataTypes.createArrayType(DataTypes.createDecimalType(12, 3), true), true);

    private static Row row(int r) {
        boolean nulls = r % 5 == 3;
        double[] specials = {0.5, -0.0, Double.NaN, Double.POSITIVE_INFINITY, -1e300, Double.MIN_VALUE};
        List<Double> probs = new ArrayList<>();
        for (int k = 0; k < r % 4; k++) {
            probs.add(r * 0.1 + k);
        }
        return RowFactory.create(
                nulls ? null : r % 2 == 0,
                nulls ? null : (byte) (r - 100),
                (short) (r * 300 - 30000),
                nulls ? null : r * 1_000_003 - 7,
                nulls ? null : (long) r << 40 | r,
                nulls ? null : (float) (r / 3.0),
                r > 5 ? specials[r % specials.length] + r : specials[r % specials.length],
                nulls ? null : Date.valueOf("2026-01-0" + (1 + r % 9)),
                nulls ? null : (r % 3 == 0 ? "" : "zeile " + r + " \u00e4\u6f22\ud83d\ude00"),
                nulls ? null : new byte[] {(byte) r, 0, (byte) -r},
                scala.jdk.javaapi.CollectionConverters.asScala(probs).toSeq(),
                nulls ? null : seq(r % 2 == 0 ? Arrays.asList(1.5, null, -2.0) : List.of()),
                nulls ? null : seq(Arrays.asList("a" + r, null, "")),
                r % 7 == 0 ? null : seq(List.of(r, -r, 0)),
                nulls ? null : seq(Arrays.asList(true, null, false)),
                nulls ? null : new java.math.BigDecimal(BigInteger(r * 12345L - 9_000_000), 2),
                nulls ? null : new java.math.BigDecimal(BigInteger(-999_999_999_999_999_999L + r)),
                seq(Arrays.asList(new java.math.BigDecimal(BigInteger(r * 7L - 1), 3), null)));
    }

    private static java.math.BigInteger BigInteger(long v) {
        return java.math.BigInteger.valueOf(v);
    }

    private static <T> scala.collection.immutable.Seq<T> seq(List<T> xs) {
        return scala.jdk.javaapi.CollectionConverters.asScala(xs).toSeq();
    }

    /** A row as text that tells every value apart: -0.0 from 0.0, NaN, and bytes by content. */
    private static String text(Row r) {
        StringBuilder b = new StringBuilder();
        for (int j = 0; j < r.length(); j++) {
            Object v = r.get(j);
            if (v instanceof byte[] bytes) {
                b.append(Arrays.toString(bytes));
            } else if (v instanceof scala.collection.Seq<?> s) {
                b.append(scala.jdk.javaapi.CollectionConverters.asJava(s));
            } else {
                b.append(v);
            }
            b.append(" | ");
        }
        return b.toString();
    }

    /**
     * The Parquet files in {@code path} read with {@code schema} (this suite's session requires Kryo
     * registration, which Spark's schema inference over array and timestamp columns does not pass).
     */
    private Dataset<Row> read(String path, StructType schema) {
        return ts.spark().read().schema(schema.asNullable()).parquet(path);
    }

    /** Each written file's rows as text, by the partition index in the file's name. */
    private TreeMap<Integer, List<String>> filesByPartition(Path out, StructType schema) throws IOException {
        TreeMap<Integer, List<String>> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(out)) {
            for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList()) {
                int p = Integer.parseInt(f.getFileName().toString().substring(5, 10));
                files.put(p, read(f.toString(), schema).collectAsList().stream().map(ParquetOutputTest::text)
                        .toList());
            }
        }
        return files;
    }

    /** Each partition's file holds its rows in order: the first row that differs is named. */
    private static void assertSameRows(TreeMap<Integer, List<String>> expected, TreeMap<Integer, List<String>> files) {
        assertEquals(expected.keySet(), files.keySet(), "partitions with a file");
        for (var e : expected.entrySet()) {
            List<String> got = files.get(e.getKey());
            assertEquals(e.getValue().size(), got.size(), "rows of partition " + e.getKey());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(e.getValue().get(i), got.get(i), "partition " + e.getKey() + ", row " + i);
            }
        }
    }

    /** Each non-empty partition's rows as text, in order. */
    private static TreeMap<Integer, List<String>> partitions(Dataset<Row> df) {
        TreeMap<Integer, List<String>> m = new TreeMap<>();
        for (String line : df.javaRDD().mapPartitionsWithIndex((p, it) -> {
            List<String> lines = new ArrayList<>();
            it.forEachRemaining(r -> lines.add(p + "\t" + text(r)));
            return lines.iterator();
        }, true).collect()) {
            String[] f = line.split("\t", 2);
            m.computeIfAbsent(Integer.parseInt(f[0]), k -> new ArrayList<>()).add(f[1]);
        }
        return m;
    }

    @Test
    void everyTypeItTakesComesBackAsSparksWriterWritesIt() throws IOException {
        // 6 slices, one emptied: chunks of 1024 rows end inside slices
        List<Integer> ids = java.util.stream.IntStream.range(0, 2600).boxed().toList();
        Dataset<Row> df = ts.spark().createDataFrame(ts.sparkContext().parallelize(ids, 6)
                .mapPartitionsWithIndex((p, it) -> {
                    List<Row> rows = new ArrayList<>();
                    it.forEachRemaining(r -> rows.add(row(r)));
                    return p == 2 ? java.util.Collections.emptyIterator() : rows.iterator();
                }, true), ALL).cache();
        String mine = dir.resolve("mine").toString();
        String theirs = dir.resolve("theirs").toString();
        ParquetOutput.Result res = ts.writeParquet(df, mine);
        assertNull(res.fallback());
        df.write().parquet(theirs);

        TreeMap<Integer, List<String>> expected = partitions(df);
        assertEquals(5, expected.size(), "one slice is empty");
        assertEquals(expected.size(), res.files(), "no file for the empty partition");
        assertEquals(expected.values().stream().mapToLong(List::size).sum(), res.rows());
        assertSameRows(expected, filesByPartition(dir.resolve("mine"), ALL));
        Dataset<Row> a = read(mine, ALL);
        Dataset<Row> b = read(theirs, ALL);
        assertTrue(Files.exists(dir.resolve("mine").resolve("_SUCCESS")));
        assertEquals(0, a.exceptAll(b).count());
        assertEquals(0, b.exceptAll(a).count());
        // the Parquet schema and the row-schema metadata are those Spark's writer gives
        Configuration conf = new Configuration();
        var mineFooter = footer(dir.resolve("mine"), conf);
        var theirFooter = footer(dir.resolve("theirs"), conf);
        assertEquals(theirFooter.getFileMetaData().getSchema(), mineFooter.getFileMetaData().getSchema());
        assertEquals(theirFooter.getFileMetaData().getKeyValueMetaData().get("org.apache.spark.sql.parquet.row.metadata"),
                mineFooter.getFileMetaData().getKeyValueMetaData().get("org.apache.spark.sql.parquet.row.metadata"));
        assertEquals(theirFooter.getBlocks().get(0).getColumns().get(0).getCodec(),
                mineFooter.getBlocks().get(0).getColumns().get(0).getCodec());
        // a filter that Parquet's column statistics and page indexes may prune gives the same rows
        assertEquals(b.filter("i64 > 1000000000000000 and f64 < 2000").count(),
                a.filter("i64 > 1000000000000000 and f64 < 2000").count());
    }

    private static org.apache.parquet.hadoop.metadata.ParquetMetadata footer(Path folder, Configuration conf)
            throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            Path f = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                    new org.apache.hadoop.fs.Path(f.toString()), conf))) {
                return r.getFooter();
            }
        }
    }

    @Test
    void wideRowsAcrossSeveralRowGroupsAndPages() throws IOException {
        int cols = 300;
        String[] exprs = new String[cols];
        for (int j = 0; j < cols; j++) {
            exprs[j] = "cast(floor(rand(" + j + ") * 256) as double) as p" + j;
        }
        Dataset<Row> df = ts.spark().range(0, 6000, 1, 2).selectExpr(exprs).cache();
        var hadoop = ts.spark().sparkContext().hadoopConfiguration();
        hadoop.set("parquet.block.size", Integer.toString(1 << 20));
        hadoop.set("parquet.page.size", Integer.toString(1 << 12));
        try {
            ParquetOutput.Result res = ts.writeParquet(df, dir.resolve("wide").toString());
            assertNull(res.fallback());
            assertEquals(6000, res.rows());
        } finally {
            hadoop.unset("parquet.block.size");
            hadoop.unset("parquet.page.size");
        }
        var f = footer(dir.resolve("wide"), new Configuration());
        assertTrue(f.getBlocks().size() > 1, "row groups: " + f.getBlocks().size());
        assertSameRows(partitions(df), filesByPartition(dir.resolve("wide"), df.schema()));
        df.unpersist();
    }

    @Test
    void failedAttemptsAreNotCommittedAndAFailedJobKeepsTheEarlierOutput() throws IOException {
        StructType schema = new StructType().add("x", DataTypes.LongType, false).add("v",
                DataTypes.createArrayType(DataTypes.DoubleType, false), false);
        JavaRDD<Row> base = ts.sparkContext().parallelize(java.util.stream.LongStream.range(0, 9000).boxed().toList(), 3)
                .map(x -> RowFactory.create(x, seq(List.of(x * 0.5, -1.0))));
        // the first attempt of every task fails after it encoded its first chunk of rows
        JavaRDD<Row> flaky = base.mapPartitions(ParquetOutputTest::failingFirstAttempt);
        String out = dir.resolve("out").toString();
        ParquetOutput.Result res = ts.writeParquet(ts.spark().createDataFrame(flaky, schema), out);
        assertEquals(9000, res.rows());
        Dataset<Row> back = read(out, schema);
        assertEquals(9000, back.count());
        assertEquals(9000, back.select("x").distinct().count());
        assertSameRows(partitions(ts.spark().createDataFrame(base, schema)),
                filesByPartition(dir.resolve("out"), schema));

        // a job whose tasks always fail: the earlier output stays, and nothing is left staged
        JavaRDD<Row> broken = base.map(r -> {
            if (r.getLong(0) == 7500) {
                throw new IllegalStateException("injected failure on every attempt");
            }
            return r;
        });
        Exception e = assertThrows(Exception.class,
                () -> ts.writeParquet(ts.spark().createDataFrame(broken, schema), out));
        assertTrue(String.valueOf(e.getMessage()).contains("injected failure on every attempt"), e.getMessage());
        assertEquals(9000, read(out, schema).count());
        // a job that fails while another of its tasks is still to open its file: that task must not
        // bring the staging folder back after the driver removed it
        JavaRDD<Row> late = base.mapPartitionsWithIndex(ParquetOutputTest::failOrWaitThreeSeconds, true);
        assertThrows(Exception.class, () -> ts.writeParquet(ts.spark().createDataFrame(late, schema), out));
        try {
            Thread.sleep(5000);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        assertEquals(9000, read(out, schema).count());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("out"), s.map(p -> p.getFileName().toString()).toList(), "staging folders removed");
        }
    }

    private static java.util.Iterator<Row> failingFirstAttempt(java.util.Iterator<Row> it) {
        boolean fail = TaskContext.get().attemptNumber() == 0;
        return new java.util.Iterator<Row>() {
            int n;

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Row next() {
                if (fail && ++n == 2000) {
                    throw new IllegalStateException("injected failure");
                }
                return it.next();
            }
        };
    }

    /** Partition 0 fails; partition 1's first {@code hasNext} takes three seconds, after Spark's kill check. */
    private static java.util.Iterator<Row> failOrWaitThreeSeconds(int p, java.util.Iterator<Row> it) {
        if (p == 0) {
            throw new IllegalStateException("injected failure in partition 0");
        }
        if (p != 1) {
            return it; // a core free for partition 0's attempts, so the job fails while partition 1 waits
        }
        return new java.util.Iterator<Row>() {
            boolean waited;

            @Override
            public boolean hasNext() {
                boolean more = it.hasNext(); // Spark's check for a killed task comes first
                if (!waited) {
                    waited = true;
                    long until = System.nanoTime() + 3_000_000_000L;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait(); // not interruptible: as a task busy reading its input
                    }
                }
                return more;
            }

            @Override
            public Row next() {
                return it.next();
            }
        };
    }

    @Test
    void theOutputMayBeTheFolderTheInputReads() {
        String path = dir.resolve("same").toString();
        ts.spark().range(0, 500, 1, 2).selectExpr("id", "cast(id as double) / 2 as half").write().parquet(path);
        Dataset<Row> in = ts.spark().read().parquet(path);
        assertTrue(ts.writeParquet(in.selectExpr("id", "half", "half * 2 as whole"), path).columnwise());
        Dataset<Row> back = ts.spark().read().parquet(path);
        assertEquals(List.of("id", "half", "whole"), Arrays.asList(back.columns()));
        assertEquals(500, back.count());
        assertEquals(0, back.filter("whole != id").count());
        // so may Spark's writer, when a column is not written column-wise
        in = ts.spark().read().parquet(path);
        Dataset<Row> withTime = in.selectExpr("id", "whole", "timestamp_seconds(id) as t");
        assertFalse(ts.writeParquet(withTime, path).columnwise());
        back = read(path, withTime.schema());
        assertEquals(500, back.filter("whole = id and t = timestamp_seconds(id)").count());
    }

    @Test
    void noRowsAtAllStillGivesAReadableSchema() throws IOException {
        String path = dir.resolve("empty").toString();
        ParquetOutput.Result res = ts.writeParquet(ts.spark().range(0, 100, 1, 3).filter("id < 0")
                .selectExpr("id", "array(cast(id as double)) as v"), path);
        assertNull(res.fallback());
        assertEquals(1, res.files());
        assertEquals(0, res.rows());
        var f = footer(dir.resolve("empty"), new Configuration());
        assertEquals(0, f.getBlocks().size());
        assertEquals(List.of("id", "v"), f.getFileMetaData().getSchema().getFields().stream().map(
                org.apache.parquet.schema.Type::getName).toList());
        assertEquals(0, read(path, new StructType().add("id", DataTypes.LongType).add("v",
                DataTypes.createArrayType(DataTypes.DoubleType))).count());
    }

    @Test
    void settingsOnlySparksWriterHonoursSendTheWriteToIt() throws IOException {
        Dataset<Row> df = ts.spark().range(0, 50, 1, 2).selectExpr("id", "date_add(date'1500-01-01', cast(id as int))"
                + " as day");
        String path = dir.resolve("settings").toString();
        assertNull(ts.writeParquet(df, path).fallback());
        ts.spark().conf().set("spark.sql.parquet.datetimeRebaseModeInWrite", "LEGACY");
        try {
            ParquetOutput.Result res = ts.writeParquet(df, path);
            assertTrue(res.fallback().contains("datetimeRebaseModeInWrite is LEGACY and column 'day'"), res.fallback());
            assertNull(ts.writeParquet(df.select("id"), path).fallback(), "no dates: nothing to rebase");
        } finally {
            ts.spark().conf().unset("spark.sql.parquet.datetimeRebaseModeInWrite");
        }
        for (String codec : List.of("none", "uncompressed", "zstd", "gzip")) {
            ts.spark().conf().set("spark.sql.parquet.compression.codec", codec);
            try {
                assertEquals(50, ts.writeParquet(df, path).rows());
                assertEquals(50, read(path, df.schema()).count());
                String expected = codec.equals("none") ? "UNCOMPRESSED" : codec.toUpperCase(java.util.Locale.ROOT);
                assertEquals(expected, footer(dir.resolve("settings"), new Configuration()).getBlocks().get(0)
                        .getColumns().get(0).getCodec().name());
            } finally {
                ts.spark().conf().unset("spark.sql.parquet.compression.codec");
            }
        }
        var hadoop = ts.spark().sparkContext().hadoopConfiguration();
        hadoop.set("parquet.bloom.filter.enabled", "true");
        try {
            ParquetOutput.Result res = ts.writeParquet(df, path);
            assertTrue(res.fallback().contains("parquet.bloom.filter.enabled"), res.fallback());
            assertEquals(50, read(path, df.schema()).count());
        } finally {
            hadoop.unset("parquet.bloom.filter.enabled");
        }
    }

    @Test
    void namesTheSchemaTextWouldChangeAndDuplicateNamesGoToSparksWriter() {
        String path = dir.resolve("names").toString();
        for (String name : List.of("x (DATE)", "e=1", "sp ace", "g{h}", "t;u")) {
            Dataset<Row> df = ts.spark().range(0, 3, 1, 1).selectExpr("cast(id + 1 as int) as `" + name + "`",
                    "id * 10 as k");
            ParquetOutput.Result res = ts.writeParquet(df, path);
            assertTrue(res.fallback() != null && res.fallback().contains(name), name + ": " + res.fallback());
            assertEquals(List.of("1 | 0 | ", "2 | 10 | ", "3 | 20 | "), read(path, df.schema()).collectAsList().stream()
                    .map(ParquetOutputTest::text).sorted().toList(), name);
        }
        assertNull(ts.writeParquet(ts.spark().range(0, 3).selectExpr("id as `Sepal.Length`", "id as p_1"), path)
                .fallback(), "dots and underscores are kept");
        // two columns of one name (Spark ignores case): refused by Spark's writer, the earlier output kept
        Exception e = assertThrows(Exception.class, () -> ts.writeParquet(ts.spark().range(0, 3)
                .selectExpr("id as Dup", "id as dup"), path));
        assertTrue(String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("dup"), e.getMessage());
        assertEquals(3, read(path, new StructType().add("Sepal.Length", DataTypes.LongType)).count());
    }

    @Test
    void otherColumnTypesAreWrittenBySparksWriter() {
        String path = dir.resolve("ts").toString();
        Dataset<Row> df = ts.spark().sql("select 1.5d as x, timestamp'2026-12-07 10:00:00' as t,"
                + " cast(12.34 as decimal(30, 2)) as d");
        ParquetOutput.Result res = ts.writeParquet(df, path);
        assertFalse(res.columnwise());
        assertTrue(res.fallback().contains("column 't' (timestamp) is not written column-wise"), res.fallback());
        assertTrue(ts.writeParquet(df.select("x", "d"), path).fallback().contains("'d' (decimal(30,2))"));
        // no columns: Spark's writer refuses, as it would have, and the earlier output stays
        Dataset<Row> kept = df.select("x", "d");
        Exception e = assertThrows(Exception.class, () -> ts.writeParquet(kept.select(), path));
        assertTrue(String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("empty"), e.getMessage());
        assertEquals(1, read(path, kept.schema()).count());
        df = df.select("x", "d");
        assertEquals(df.collectAsList(), read(path, df.schema()).collectAsList());
    }
}

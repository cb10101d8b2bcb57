package org.tessera.jobs.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.jobs.cli.JobException;
import org.tessera.spark.TesseraSession;

/**
 * The Parquet check that reads footers instead of the data: it answers only when the footers prove
 * every chosen value present, and otherwise leaves the pass over the data to find and name the row.
 */
class ParquetFootersTest {
    static TesseraSession session;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        session = TesseraSession.builder().master("local[2]").appName("parquet footers")
                .config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        session.close();
    }

    private Path write(String name, List<Row> rows, StructType schema, int files) {
        Path p = dir.resolve(name);
        session.spark().createDataFrame(rows, schema).repartition(files).write().parquet(p.toString());
        return p;
    }

    private static List<Cleaning.Chosen> chosen(String... names) {
        List<Cleaning.Chosen> out = new ArrayList<>();
        for (String n : names) {
            out.add(new Cleaning.Chosen(n, "feature"));
        }
        return out;
    }

    @Test
    void integerColumnsWithoutNullsAreCountedFromTheFooters() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            rows.add(RowFactory.create(i, (long) i * 3, i % 2 == 0 ? 1.5 : -2.0));
        }
        StructType schema = new StructType().add("a", "int").add("b", "long").add("x", "double");
        Path p = write("ints.parquet", rows, schema, 3);
        Dataset<Row> df = session.spark().read().parquet(p.toString());
        assertEquals(50L, Cleaning.rowsWithoutNulls(df, chosen("a", "b"), p.toString()));
        // a double column may hold NaN, which the footers do not count: the data must be read
        assertNull(Cleaning.rowsWithoutNulls(df, chosen("a", "x"), p.toString()));
        // the result is the one the pass over the data gives
        Cleaning.Result r = Cleaning.clean(session.spark(), p.toString(), null, df, chosen("a", "b"), false, false);
        assertEquals(50, r.df().count());
        assertEquals(0, r.missingDropped());
    }

    @Test
    void aNullInAnIntegerColumnIsFoundInTheDataAndNamed() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            rows.add(RowFactory.create(i == 7 ? null : i, i * 2));
        }
        StructType schema = new StructType().add("a", "int").add("b", "int");
        Path p = write("holes.parquet", rows, schema, 1);
        Dataset<Row> df = session.spark().read().parquet(p.toString());
        assertNull(Cleaning.rowsWithoutNulls(df, chosen("a", "b"), p.toString()));
        assertEquals(20L, Cleaning.rowsWithoutNulls(df, chosen("b"), p.toString()));
        JobException e = assertThrows(JobException.class,
                () -> Cleaning.clean(session.spark(), p.toString(), null, df, chosen("a", "b"), false, false));
        assertTrue(e.getMessage().startsWith("feature column 'a' has a null at row 8 of " + p), e.getMessage());
        Cleaning.Result kept = Cleaning.clean(session.spark(), p.toString(), null, df, chosen("a", "b"), false, true);
        assertEquals(19, kept.df().count());
        assertEquals(1, kept.missingDropped());
    }
}

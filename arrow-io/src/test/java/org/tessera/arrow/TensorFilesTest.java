package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

@ExtendWith(LeakCheck.class)
class TensorFilesTest {
    @TempDir
    Path dir;

    static Stream<Arguments> dtypesRanksFormats() {
        long[][] shapes = {{}, {11}, {3, 5}, {2, 3, 4}, {2, 1, 3, 5}};
        List<Arguments> out = new ArrayList<>();
        for (DType d : DType.values()) {
            for (long[] s : shapes) {
                for (IpcFormat f : IpcFormat.values()) {
                    out.add(Arguments.of(d, s, f));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} rank {1} {2}")
    @MethodSource("dtypesRanksFormats")
    void everyDtypeAndRankRoundTripsInBothFormats(DType dtype, long[] shape, IpcFormat format) {
        Tensor t = Samples.of(dtype, shape);
        Path p = dir.resolve("t.arrow");
        TensorFiles.save(t, p, format, 16); // small batches: several record batches per tensor
        Tensor back = TensorFiles.load(p);
        assertEquals(dtype, back.dtype());
        assertEquals(t.shape(), back.shape());
        assertArrayEquals(t.toDoubleArray(), back.toDoubleArray());
    }

    @Test
    void emptyAndStridedTensorsRoundTrip() {
        Path p = dir.resolve("e.arrow");
        TensorFiles.save(Tessera.zeros(0, 3), p);
        assertEquals(Tessera.zeros(0, 3).shape(), TensorFiles.load(p).shape());
        Tensor strided = Samples.of(DType.FLOAT64, 4, 6).t().get("::2");
        TensorFiles.save(strided, p, IpcFormat.STREAM);
        assertArrayEquals(strided.toDoubleArray(), TensorFiles.load(p).toDoubleArray());
    }

    @Test
    void fileIsAStandardArrowFileWithTheRowsAsAFixedShapeTensorColumn(BufferAllocator alloc) throws IOException {
        Tensor t = Samples.of(DType.INT32, 4, 5);
        Path p = dir.resolve("w.arrow");
        TensorFiles.save(t, p, IpcFormat.FILE, 48);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ); ArrowFileReader r = new ArrowFileReader(ch, alloc)) {
            Schema s = r.getVectorSchemaRoot().getSchema();
            assertEquals("int32", s.getCustomMetadata().get("tessera.dtype"));
            assertEquals("[4,5]", s.getCustomMetadata().get("tessera.shape"));
            assertEquals(2, r.getRecordBlocks().size(), "4 rows of 5 int32 values, 2 rows (40 bytes) per batch");
            List<Integer> values = new ArrayList<>();
            while (r.loadNextBatch()) {
                FieldVector v = r.getVectorSchemaRoot().getVector(0);
                FixedShapeTensorVector col = assertInstanceOf(FixedShapeTensorVector.class, v);
                assertArrayEquals(new long[] {5}, col.type().shape());
                assertEquals(2, col.getValueCount());
                for (int x : TensorColumns.fromVector(col).toIntArray()) {
                    values.add(x);
                }
            }
            assertArrayEquals(t.toIntArray(), values.stream().mapToInt(Integer::intValue).toArray());
        }
        Path s = dir.resolve("w.arrows");
        TensorFiles.save(Samples.of(DType.FLOAT64, 20), s, IpcFormat.STREAM);
        try (ArrowStreamReader r = new ArrowStreamReader(Files.newInputStream(s), alloc)) {
            assertTrue(r.loadNextBatch());
            assertInstanceOf(Float8Vector.class, r.getVectorSchemaRoot().getVector(0), "1-D tensors stay a flat column");
            assertEquals(20, r.getVectorSchemaRoot().getRowCount());
            assertFalse(r.loadNextBatch());
        }
    }

    /**
     * Files written by the version 1 writer (a flat column whatever the rank, the shape only in the
     * schema metadata; committed in {@code src/test/resources/v1/}) still load with their shape.
     */
    @Test
    void versionOneFilesStillLoad() throws Exception {
        Object[][] cases = {
            {"float32-6x7.arrow", Samples.of(DType.FLOAT32, 6, 7)},
            {"int64-2x3x4.arrows", Samples.of(DType.INT64, 2, 3, 4)},
            {"bool-1001.arrows", Samples.of(DType.BOOL, 1001)},
            {"float64-scalar.arrow", Samples.of(DType.FLOAT64)},
        };
        for (Object[] c : cases) {
            Path p = Path.of(TensorFilesTest.class.getResource("/v1/" + c[0]).toURI());
            Tensor expected = (Tensor) c[1];
            Tensor t = TensorFiles.load(p);
            assertEquals(expected.dtype(), t.dtype(), (String) c[0]);
            assertEquals(expected.shape(), t.shape(), (String) c[0]);
            assertArrayEquals(expected.toDoubleArray(), t.toDoubleArray(), (String) c[0]);
        }
    }

    @Test
    void savingReplacesAnExistingFile() {
        Path p = dir.resolve("r.arrow");
        TensorFiles.save(Tessera.ones(3), p);
        TensorFiles.save(Tessera.zeros(2, 2), p);
        assertEquals(Tessera.zeros(2, 2).shape(), TensorFiles.load(p).shape());
    }

    @Test
    void missingFileNamesThePath() {
        Path p = dir.resolve("nope.arrow");
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p));
        assertEquals(p.toString(), e.source());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    /**
     * Writes a one-column float32 file with the given schema metadata through Arrow's own writer;
     * with Tessera keys the column is named and marked as a version 1 file's column.
     */
    private Path forged(String name, Map<String, String> md, int rows, BufferAllocator alloc) throws IOException {
        Path p = dir.resolve(name);
        boolean tessera = md.keySet().stream().anyMatch(k -> k.startsWith("tessera."));
        Map<String, String> fieldMd = md.containsKey("tessera.format") ? Map.of("tessera.format", md.get("tessera.format"))
                : null;
        Field field = new Field(tessera ? "tessera_tensor" : "values",
                new FieldType(false, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), null, fieldMd), null);
        try (Float4Vector v = (Float4Vector) field.createVector(alloc)) {
            v.allocateNew(Math.max(rows, 1));
            for (int i = 0; i < rows; i++) {
                v.set(i, i);
            }
            v.setValueCount(rows);
            Schema schema = new Schema(List.of(v.getField()), md);
            try (VectorSchemaRoot root = new VectorSchemaRoot(schema, List.of(v), rows);
                 FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
                w.start();
                w.writeBatch();
                w.end();
                root.clear();
            }
        }
        return p;
    }

    /** Tessera metadata with a valid header checksum, so that the loader reaches the check under test. */
    private static Map<String, String> meta(String dtype, String shape) {
        Map<String, String> md = new java.util.HashMap<>(Map.of("tessera.format", "1", "tessera.dtype", dtype,
                "tessera.shape", shape, "tessera.batch", "1024", "tessera.crc32c", "0"));
        md.put("tessera.check", Long.toHexString(org.tessera.arrow.ipc.TensorFileFormat.check(md)));
        return md;
    }

    @Test
    void badMetadataFailsNamingTheFileAndTheProblem(BufferAllocator alloc) throws IOException {
        Object[][] cases = {
            {meta("float32", "[-4]"), "dimension 0 is negative"},
            {meta("float32", "[4294967296,4294967296]"), "more than 2^63-1 elements"},
            {meta("float32", "[3]"), "holds 4 elements; the layout expects 3"},
            {meta("float32", "[2,3]"), "layout expects 6"},
            {meta("float32", "4"), "not a JSON array"},
            {meta("int64", "[4]"), "does not match the column type"},
            {Map.of("tessera.format", "9"), "format version '9'"},
            {Map.of("tessera.dtype", "float32"), "no tessera.format entry"},
            {withCheck("0"), "fails its checksum"},
        };
        for (int i = 0; i < cases.length; i++) {
            @SuppressWarnings("unchecked")
            Path p = forged("bad" + i + ".arrow", (Map<String, String>) cases[i][0], 4, alloc);
            TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p));
            assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains((String) cases[i][1]), e.getMessage());
        }
    }

    private static Map<String, String> withCheck(String check) {
        Map<String, String> md = new java.util.HashMap<>(meta("float32", "[4]"));
        md.put("tessera.check", check);
        return md;
    }

    @Test
    void checksumMismatchIsReported(BufferAllocator alloc) throws IOException {
        Path p = forged("crc.arrow", meta("float32", "[4]"), 4, alloc);
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void foreignSingleColumnFileLoadsAsOneDimensionalTensor(BufferAllocator alloc) throws IOException {
        Path p = forged("plain.arrow", Map.of(), 5, alloc);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4}, TensorFiles.load(p).toFloatArray());
    }

    @Test
    void unsupportedTypesAndSeveralColumnsAreRefused(BufferAllocator alloc) throws IOException {
        Path p = dir.resolve("strings.arrow");
        try (VarCharVector v = new VarCharVector("s", alloc)) {
            v.allocateNew(1);
            v.setSafe(0, "x".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            v.setValueCount(1);
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(v));
                 FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
                w.start();
                w.writeBatch();
                w.end();
                root.clear();
            }
        }
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p));
        assertTrue(e.getMessage().contains("unsupported Arrow type Utf8"), e.getMessage());

        Path two = dir.resolve("two.arrow");
        try (VectorSchemaRoot root = ArrowTables.toRoot(Tessera.zeros(2, 2), List.of("a", "b"), alloc);
             FileChannel ch = FileChannel.open(two, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
            w.start();
            w.writeBatch();
            w.end();
        }
        e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(two));
        assertTrue(e.getMessage().contains("holds 2 columns [a, b]"), e.getMessage());
    }

    @Test
    void nullsInAFileAreRefused(BufferAllocator alloc) throws IOException {
        Path p = dir.resolve("nulls.arrow");
        try (Float4Vector v = new Float4Vector("v", alloc)) {
            v.allocateNew(3);
            v.set(0, 1f);
            v.setNull(1);
            v.set(2, 3f);
            v.setValueCount(3);
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(v));
                 FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
                w.start();
                w.writeBatch();
                w.end();
                root.clear();
            }
        }
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p));
        assertTrue(e.getMessage().contains("has 1 nulls"), e.getMessage());
    }

    @Test
    void tensorColumnFileLoadsWithItsPermutation(BufferAllocator alloc) throws IOException {
        Tensor physical = Samples.of(DType.FLOAT64, 3, 2, 4);
        Tensor logical = physical.permute(0, 2, 1);
        Path p = dir.resolve("col.arrow");
        try (FixedShapeTensorVector v = TensorColumns.toVector(logical, "t", alloc);
             VectorSchemaRoot root = new VectorSchemaRoot(List.of(v));
             FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
            root.setRowCount(3);
            w.start();
            w.writeBatch();
            w.end();
        }
        Tensor back = TensorFiles.load(p);
        assertEquals(logical.shape(), back.shape());
        assertArrayEquals(logical.toDoubleArray(), back.toDoubleArray());
    }
}

package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

@ExtendWith(LeakCheck.class)
class TensorColumnsTest {

    static java.util.stream.Stream<Arguments> dtypesAndShapes() {
        long[][] shapes = {{4}, {3, 2}, {2, 3, 4}, {2, 1, 3, 2}};
        java.util.List<Arguments> out = new java.util.ArrayList<>();
        for (DType d : DType.values()) {
            for (long[] s : shapes) {
                out.add(Arguments.of(d, s));
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("dtypesAndShapes")
    void everyDtypeAndValueRankRoundTrips(DType dtype, long[] shape, BufferAllocator alloc) {
        Tensor t = Samples.of(dtype, shape);
        try (FixedShapeTensorVector v = TensorColumns.toVector(t, "t", alloc)) {
            assertEquals(shape[0], v.getValueCount());
            long[] valueShape = java.util.Arrays.copyOfRange(shape, 1, shape.length);
            assertArrayEquals(valueShape, v.type().shape());
            Tensor back = TensorColumns.fromVector(v);
            assertEquals(t.shape(), back.shape());
            assertEquals(dtype, back.dtype());
            assertArrayEquals(t.toDoubleArray(), back.toDoubleArray());
        }
    }

    @Test
    void metadataFollowsTheArraySpecification(BufferAllocator alloc) {
        Tensor t = Tessera.zeros(5, 2, 3);
        try (FixedShapeTensorVector v = TensorColumns.toVector(t, "img", List.of("H", "W"), alloc)) {
            Field f = v.getField();
            assertEquals("{\"shape\":[2,3],\"dim_names\":[\"H\",\"W\"]}", v.type().serialize());
            assertEquals(new ArrowType.FixedSizeList(6), v.type().storageType());
            Map<String, String> md = f.getMetadata();
            assertTrue(f.getType() instanceof FixedShapeTensorType, f.toString());
            assertEquals(1, f.getChildren().size());
            assertEquals(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), f.getChildren().get(0).getType());
            assertEquals(FixedShapeTensorType.NAME, md.get(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME));
            assertEquals("{\"shape\":[2,3],\"dim_names\":[\"H\",\"W\"]}",
                    md.get(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA));
        }
    }

    @Test
    void memoryIsSharedBothWays(BufferAllocator alloc) {
        Tensor t = Tessera.zeros(3, 2, 2).contiguous();
        try (FixedShapeTensorVector v = TensorColumns.toVector(t, "t", alloc)) {
            Float4Vector values = (Float4Vector) v.getUnderlyingVector().getDataVector();
            t.set(7, 1, 1, 0);
            assertEquals(7f, values.get(4 + 2));
            Tensor back = TensorColumns.fromVector(v);
            values.set(11, 3f);
            assertEquals(3.0, back.get(2, 1, 1).item());
            back.set(-2, 0, 0, 1);
            assertEquals(-2.0, t.get(0, 0, 1).item());
        }
    }

    @Test
    void permutedTensorIsWrittenWithAPermutationInsteadOfCopied(BufferAllocator alloc) {
        Tensor physical = Samples.of(DType.FLOAT32, 2, 3, 4, 5);
        Tensor logical = physical.permute(0, 3, 1, 2); // values of logical shape [5, 3, 4]
        try (FixedShapeTensorVector v = TensorColumns.toVector(logical, "p", List.of("C", "H", "W"), alloc)) {
            assertArrayEquals(new long[] {3, 4, 5}, v.type().shape());
            assertArrayEquals(new int[] {2, 0, 1}, v.type().permutation());
            assertArrayEquals(new long[] {5, 3, 4}, v.type().logicalShape());
            assertEquals(List.of("H", "W", "C"), v.type().dimNames());
            assertEquals(List.of("C", "H", "W"), TensorColumns.dimNames(v));
            physical.set(100, 1, 2, 3, 4);
            assertEquals(100f, ((Float4Vector) v.getUnderlyingVector().getDataVector()).get(60 + 2 * 20 + 3 * 5 + 4));
            Tensor back = TensorColumns.fromVector(v);
            assertEquals(logical.shape(), back.shape());
            assertArrayEquals(logical.toDoubleArray(), back.toDoubleArray());
        }
    }

    @Test
    void columnSurvivesAnIpcStreamWithItsExtensionType(BufferAllocator alloc) throws Exception {
        Tensor t = Samples.of(DType.INT64, 3, 2, 2);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (FixedShapeTensorVector v = TensorColumns.toVector(t, "t", List.of("a", "b"), alloc);
             VectorSchemaRoot root = new VectorSchemaRoot(List.of(v));
             ArrowStreamWriter w = new ArrowStreamWriter(root, null, Channels.newChannel(bytes))) {
            root.setRowCount(3);
            w.start();
            w.writeBatch();
            w.end();
        }
        try (ArrowStreamReader r = new ArrowStreamReader(new java.io.ByteArrayInputStream(bytes.toByteArray()), alloc)) {
            r.loadNextBatch();
            var col = r.getVectorSchemaRoot().getVector("t");
            assertTrue(col instanceof FixedShapeTensorVector, col.getClass().toString());
            assertEquals(List.of("a", "b"), TensorColumns.dimNames(col));
            assertArrayEquals(t.toLongArray(), TensorColumns.fromVector(col).toLongArray());
        }
    }

    @Test
    void plainFixedSizeListWithMetadataReadsAsTensors(BufferAllocator alloc) {
        Field child = new Field("item", FieldType.nullable(new ArrowType.Int(32, true)), null);
        Map<String, String> md = Map.of(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME, FixedShapeTensorType.NAME,
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA, "{\"shape\":[2,2],\"permutation\":[1,0]}");
        Field f = new Field("m", new FieldType(true, new ArrowType.FixedSizeList(4), null, md), List.of(child));
        try (FixedSizeListVector v = (FixedSizeListVector) f.createVector(alloc)) {
            v.allocateNew();
            org.apache.arrow.vector.IntVector data = (org.apache.arrow.vector.IntVector) v.getDataVector();
            data.allocateNew(8);
            for (int i = 0; i < 8; i++) {
                data.set(i, i);
            }
            data.setValueCount(8);
            v.setNotNull(0);
            v.setNotNull(1);
            v.setValueCount(2);
            Tensor t = TensorColumns.fromVector(v);
            assertArrayEquals(new long[] {2, 2, 2}, t.shape().dims());
            assertArrayEquals(new long[] {0, 2, 1, 3, 4, 6, 5, 7}, t.toLongArray(), "transposed by the permutation");
        }
    }

    @Test
    void malformedOrMissingMetadataFailsWithTheReason(BufferAllocator alloc) {
        String[][] cases = {
            {"{\"shape\":[2,3]}", "list size 4"},
            {"{\"shape\":[2,-2]}", "negative"},
            {"{\"shape\":\"2x2\"}", "array of integers"},
            {"{\"dim_names\":[\"a\"]}", "no \"shape\""},
            {"{\"shape\":[2,2],\"permutation\":[0,0]}", "not a permutation"},
            {"{\"shape\":[2,2],\"dim_names\":[\"a\"]}", "1 names for 2 dimensions"},
            {"{\"shape\":[4294967296,1]}", "more than 2147483647"},
            {"{\"shape\":[2,2]", "not valid JSON"},
            {"", "missing"},
        };
        for (String[] c : cases) {
            TesseraIOException e = assertThrows(TesseraIOException.class,
                    () -> FixedShapeTensorType.of(fieldWith(c[0])), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
            assertTrue(e.getMessage().startsWith("field 'm'"), e.getMessage());
        }
    }

    private static Field fieldWith(String json) {
        Field child = new Field("item", FieldType.nullable(new ArrowType.Int(32, true)), null);
        Map<String, String> md = Map.of(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME, FixedShapeTensorType.NAME,
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA, json);
        return new Field("m", new FieldType(true, new ArrowType.FixedSizeList(4), null, md), List.of(child));
    }

    @Test
    void nullTensorsNeedAFillValue(BufferAllocator alloc) {
        Tensor t = Tessera.ones(3, 2);
        try (FixedShapeTensorVector v = TensorColumns.toVector(t, "t", alloc)) {
            v.getUnderlyingVector().setNull(1);
            TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorColumns.fromVector(v));
            assertTrue(e.getMessage().contains("tensor 1 is null"), e.getMessage());
            assertArrayEquals(new double[] {1, 1, 0, 0, 1, 1}, TensorColumns.fromVector(v, 0).toDoubleArray());
        }
    }

    @Test
    void otherColumnsAreRefused(BufferAllocator alloc) {
        try (Float4Vector f = new Float4Vector("f", alloc)) {
            assertThrows(TesseraIOException.class, () -> TensorColumns.fromVector(f));
        }
        assertThrows(IllegalArgumentException.class, () -> TensorColumns.toVector(Tessera.tensor(1.0), "s", alloc));
        try (FixedShapeTensorVector v = TensorColumns.toVector(Tessera.zeros(1, 1), "z", alloc)) {
            assertNull(TensorColumns.dimNames(v));
        }
    }
}

package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

@ExtendWith(LeakCheck.class)
class ArrowTablesTest {

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeRoundTripsWithColumnNames(DType dtype, BufferAllocator alloc) {
        Tensor t = Samples.of(dtype, 5, 3);
        try (VectorSchemaRoot root = ArrowTables.toRoot(t, List.of("a", "b", "c"), alloc)) {
            assertEquals(5, root.getRowCount());
            assertEquals(List.of("a", "b", "c"), root.getSchema().getFields().stream().map(f -> f.getName()).toList());
            TableTensor back = ArrowTables.fromRoot(root);
            assertEquals(List.of("a", "b", "c"), back.columnNames());
            assertEquals(t.shape(), back.tensor().shape());
            assertEquals(dtype, back.tensor().dtype());
            assertArrayEquals(t.toDoubleArray(), back.tensor().toDoubleArray());
        }
    }

    @Test
    void rowMajorTensorIsCopiedOnceAndTheRootIsSharedByTheResult(BufferAllocator alloc) {
        Tensor t = Tessera.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
        try (VectorSchemaRoot root = ArrowTables.toRoot(t, List.of("x", "y"), alloc)) {
            Float8Vector y = (Float8Vector) root.getVector("y");
            assertEquals(4.0, y.get(1));
            t.set(40, 1, 1);
            assertEquals(4.0, y.get(1), "a row-major tensor is copied into the columns");
            Tensor view = ArrowTables.fromRoot(root).tensor();
            assertArrayEquals(new long[] {1, 3}, view.node().strides(), "columns in one buffer read as a strided view");
            y.set(2, -6.0);
            assertEquals(-6.0, view.get(2, 1).item());
            view.set(-1, 0, 0);
            assertEquals(-1.0, ((Float8Vector) root.getVector("x")).get(0));
        }
    }

    @Test
    void columnMajorTensorIsSharedWithTheColumns(BufferAllocator alloc) {
        Tensor t = Tessera.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 3, 2).t().contiguous().t();
        try (VectorSchemaRoot root = ArrowTables.toRoot(t, List.of("x", "y"), alloc)) {
            t.set(50, 2, 1);
            assertEquals(50f, ((Float4Vector) root.getVector("y")).get(2));
        }
    }

    @Test
    void separateColumnsAreCopiedIntoAColumnMajorTensor(BufferAllocator alloc) {
        try (IntVector a = new IntVector("a", alloc); Float4Vector b = new Float4Vector("b", alloc)) {
            a.allocateNew(2);
            b.allocateNew(2);
            a.set(0, 1);
            a.set(1, 2);
            b.set(0, 0.5f);
            b.set(1, 1.5f);
            a.setValueCount(2);
            b.setValueCount(2);
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(a, b))) {
                TableTensor tt = ArrowTables.fromRoot(root);
                assertEquals(DType.FLOAT32, tt.tensor().dtype(), "int32 and float32 promote to float32");
                assertArrayEquals(new double[] {1, 0.5, 2, 1.5}, tt.tensor().toDoubleArray());
                b.set(0, 9f);
                assertEquals(0.5, tt.tensor().get(0, 1).item(), "separate buffers are copied");
                root.clear();
            }
        }
    }

    @Test
    void tableReadFromAnIpcFileIsAViewOfTheRecordBatch(BufferAllocator alloc) throws Exception {
        Tensor t = Samples.of(DType.FLOAT32, 4, 3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (VectorSchemaRoot root = ArrowTables.toRoot(t, List.of("p", "q", "r"), alloc);
             ArrowFileWriter w = new ArrowFileWriter(root, null, Channels.newChannel(bytes))) {
            w.start();
            w.writeBatch();
            w.end();
        }
        try (ArrowFileReader r = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes.toByteArray()),
                alloc)) {
            r.loadNextBatch();
            TableTensor tt = ArrowTables.fromRoot(r.getVectorSchemaRoot());
            assertEquals(1, tt.tensor().node().strides()[0]);
            assertArrayEquals(t.toDoubleArray(), tt.tensor().toDoubleArray());
            assertEquals(List.of("p", "q", "r"), tt.columnNames());
        }
        assertTrue(new ByteArrayInputStream(bytes.toByteArray()).available() > 0);
    }

    @Test
    void nullsNeedAFillValue(BufferAllocator alloc) {
        try (Float8Vector a = new Float8Vector("a", alloc)) {
            a.allocateNew(2);
            a.set(0, 1);
            a.setNull(1);
            a.setValueCount(2);
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(a))) {
                TesseraIOException e = assertThrows(TesseraIOException.class, () -> ArrowTables.fromRoot(root));
                assertTrue(e.getMessage().contains("column 'a' has a null at row 1"), e.getMessage());
                assertArrayEquals(new double[] {1, 0}, ArrowTables.fromRoot(root, 0).tensor().toDoubleArray());
                root.clear();
            }
        }
    }

    @Test
    void unsupportedColumnIsNamed(BufferAllocator alloc) {
        try (VarCharVector s = new VarCharVector("label", alloc)) {
            s.allocateNew(1);
            s.setValueCount(1);
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(s))) {
                TesseraIOException e = assertThrows(TesseraIOException.class, () -> ArrowTables.fromRoot(root));
                assertTrue(e.getMessage().contains("column 'label' has unsupported type Utf8"), e.getMessage());
                root.clear();
            }
        }
    }

    @Test
    void wrongNameCountIsRefused(BufferAllocator alloc) {
        assertThrows(IllegalArgumentException.class,
                () -> ArrowTables.toRoot(Tessera.zeros(2, 3), List.of("a", "b"), alloc));
        assertThrows(IllegalArgumentException.class,
                () -> ArrowTables.toRoot(Tessera.zeros(2), List.of("a", "b"), alloc));
    }
}

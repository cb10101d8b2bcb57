package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Files written by another Arrow implementation (Apache Arrow JS, by {@code src/test/interop/interop.mjs})
 * read here, and files for the opposite check are written to {@code target/interop}.
 */
@ExtendWith(LeakCheck.class)
class InteropTest {
    @TempDir
    Path dir;

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = InteropTest.class.getResourceAsStream("/interop/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void tensorColumnsWrittenByArrowJsReadWithShapeNamesAndPermutation(BufferAllocator alloc) throws IOException {
        try (ArrowFileReader r = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(
                fixture("js-tensors.arrow")), alloc)) {
            r.loadNextBatch();
            VectorSchemaRoot root = r.getVectorSchemaRoot();
            assertEquals(2, ((IntVector) root.getVector("id")).get(2));

            FieldVector img = root.getVector("img");
            assertTrue(img instanceof FixedShapeTensorVector, img.getClass().toString());
            Tensor t = TensorColumns.fromVector(img);
            assertEquals(DType.FLOAT32, t.dtype());
            assertArrayEquals(new long[] {3, 2, 3}, t.shape().dims());
            Tensor expected = Tessera.arange(0, 3, 1, DType.FLOAT32).mul(10).reshape(3, 1, 1)
                    .add(Tessera.arange(0, 6, 1, DType.FLOAT32).reshape(1, 2, 3));
            assertArrayEquals(expected.toDoubleArray(), t.toDoubleArray());
            assertEquals(List.of("H", "W"), TensorColumns.dimNames(img));

            Tensor p = TensorColumns.fromVector(root.getVector("p"));
            assertEquals(DType.INT64, p.dtype());
            assertArrayEquals(new long[] {3, 4, 2, 3}, p.shape().dims(), "logical shape = shape[permutation]");
            Tensor physical = Tessera.arange(0, 3, 1, DType.INT64).mul(100).reshape(3, 1)
                    .add(Tessera.arange(0, 24, 1, DType.INT64).reshape(1, 24)).reshape(3, 2, 3, 4);
            assertArrayEquals(physical.permute(0, 3, 1, 2).toLongArray(), p.toLongArray());
        }
    }

    @Test
    void singleColumnStreamWrittenByArrowJsLoadsAsTensor() throws IOException {
        Path p = dir.resolve("js-column.arrows");
        Files.write(p, fixture("js-column.arrows"));
        Tensor t = TensorFiles.load(p);
        assertEquals(DType.FLOAT64, t.dtype());
        assertArrayEquals(new double[] {0.5, 1.5, 2.5, 3.5, 4.5}, t.toDoubleArray());
    }

    /**
     * A one-column IPC file from Arrow JS 21.2.0 ({@code tableToIPC(table, 'file')}, which puts the
     * schema only in the footer, a record batch right after the magic): an
     * {@code arrow.fixed_shape_tensor} column of shape [2, 3], 5 rows; and the same table as a stream.
     */
    @Test
    void fixedShapeTensorColumnFromArrowJsLoadsInBothFormats(BufferAllocator alloc) throws IOException {
        float[] expected = new float[30];
        for (int k = 0; k < 30; k++) {
            expected[k] = k * 1.5f - 4;
        }
        for (String name : List.of("js-tensor-column.arrow", "js-tensor-column.arrows")) {
            Path p = dir.resolve(name);
            Files.write(p, fixture(name));
            Tensor t = TensorFiles.load(p);
            assertEquals(DType.FLOAT32, t.dtype(), name);
            assertArrayEquals(new long[] {5, 2, 3}, t.shape().dims(), name);
            assertArrayEquals(expected, t.toFloatArray(), name);
        }
        // Arrow Java's own reader agrees on the file
        try (ArrowFileReader r = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(
                fixture("js-tensor-column.arrow")), alloc)) {
            assertTrue(r.loadNextBatch());
            FieldVector col = r.getVectorSchemaRoot().getVector("t");
            assertTrue(col instanceof FixedShapeTensorVector, col.getClass().toString());
            assertArrayEquals(expected, TensorColumns.fromVector(col).toFloatArray());
        }
    }

    /**
     * Writes the files that {@code node interop.mjs read} and {@code check} read by hand: a table
     * with a permuted, named tensor column, and tensor files of rank 0 to 3 in both formats.
     */
    @Test
    void writesFilesForOtherImplementations(BufferAllocator alloc) throws IOException {
        Path out = Path.of("target", "interop");
        Files.createDirectories(out);
        Tensor physical = Tessera.arange(0, 2 * 3 * 4, 1, DType.FLOAT32).reshape(2, 3, 4);
        Tensor logical = physical.permute(0, 2, 1); // values of logical shape [4, 3]
        Path table = out.resolve("tessera-tensors.arrow");
        try (FixedShapeTensorVector v = TensorColumns.toVector(logical, "t", List.of("W", "H"), alloc);
             VectorSchemaRoot root = new VectorSchemaRoot(List.of(v));
             FileChannel ch = FileChannel.open(table, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING);
             ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
            root.setRowCount(2);
            w.start();
            w.writeBatch();
            w.end();
        }
        TensorFiles.save(Tessera.arange(0, 6, 1, DType.INT64).reshape(2, 3), out.resolve("tessera-tensor.arrow"));
        // tensor files for `node interop.mjs check`: the shape must come back from the column alone
        TensorFiles.save(Tessera.arange(0, 24, 1, DType.FLOAT32).reshape(2, 3, 4), out.resolve("tessera-2x3x4.arrow"));
        TensorFiles.save(Tessera.arange(0, 24, 1, DType.FLOAT64).reshape(4, 3, 2), out.resolve("tessera-4x3x2.arrows"),
                IpcFormat.STREAM, 48);
        TensorFiles.save(Tessera.arange(0, 5, 1, DType.INT32), out.resolve("tessera-5.arrow"));
        TensorFiles.save(Tessera.arange(0, 1, 1, DType.FLOAT64).reshape(), out.resolve("tessera-scalar.arrows"),
                IpcFormat.STREAM);
        assertTrue(Files.size(table) > 0);
    }
}

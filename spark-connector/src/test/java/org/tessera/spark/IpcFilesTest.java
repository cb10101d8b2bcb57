package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.arrow.TensorFiles;

/** Distributed tensors as folders of arrow-io tensor files, one per row block, for every dtype and rank. */
class IpcFilesTest {
    private final TesseraSession ts = SharedSpark.session();

    private static Tensor sample(DType dtype, long... shape) {
        Tensor v = Tessera.arange(0, Shape.of(shape).numel(), 1, DType.FLOAT64).reshape(shape).mul(0.75).sub(5);
        return dtype == DType.BOOL ? v.gt(0) : v.to(dtype);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeAndRankRoundTripsThroughOneFilePerRowBlock(DType dtype, @TempDir Path dir) throws Exception {
        for (long[] shape : List.of(new long[] {11}, new long[] {19, 5}, new long[] {7, 3, 4})) {
            Tensor local = sample(dtype, shape);
            long[] block = shape.clone();
            for (int d = 0; d < block.length; d++) {
                block[d] = Math.max(1, (shape[d] + 1) / 2); // cut along every dim: re-cut into row blocks to write
            }
            Path out = dir.resolve("t" + shape.length);
            ts.writeIpc(ts.distribute(local, block), out.toString());
            Tensor back = ts.readIpc(out.toString());
            assertEquals(dtype, back.dtype());
            assertEquals(local.shape(), back.shape());
            assertArrayEquals(local.toDoubleArray(), back.toDoubleArray(), 0);
            // every part is a tensor file of its own: rows of the whole, with their shape
            Tensor first = TensorFiles.load(out.resolve("part-00000.arrow"));
            long rows = ts.grid(back).chunk(0, 0);
            assertEquals(local.narrow(0, 0, rows).shape(), first.shape());
            assertArrayEquals(local.narrow(0, 0, rows).toDoubleArray(), first.toDoubleArray(), 0);
        }
    }

    @Test
    void anyArrowReaderSeesTheRowsAsFixedShapeTensors(@TempDir Path dir) throws Exception {
        ts.writeIpc(ts.distribute(sample(DType.FLOAT32, 6, 2, 3), 3, 1, 3), dir.toString());
        try (var files = Files.list(dir)) {
            assertEquals(2, files.filter(p -> p.getFileName().toString().endsWith(".arrow")).count());
        }
        try (BufferAllocator alloc = new RootAllocator();
             var ch = Files.newByteChannel(dir.resolve("part-00001.arrow"));
             ArrowFileReader r = new ArrowFileReader(ch, alloc)) {
            var field = r.getVectorSchemaRoot().getSchema().getFields().get(0);
            assertEquals("arrow.fixed_shape_tensor", field.getMetadata().get("ARROW:extension:name"));
            assertTrue(field.getMetadata().get("ARROW:extension:metadata").contains("[2,3]"),
                    field.getMetadata().toString());
            int rows = 0;
            while (r.loadNextBatch()) {
                rows += r.getVectorSchemaRoot().getRowCount();
            }
            assertEquals(3, rows);
        }
    }

    @Test
    void foldersOfTheFirstLayoutStillLoad() {
        Tensor back = ts.readIpc(Path.of("src/test/resources/ipc-v1/float64-7x5").toString());
        assertEquals(Shape.of(7, 5), back.shape());
        assertArrayEquals(Tessera.arange(0, 35, 1, DType.FLOAT64).mul(0.25).toDoubleArray(), back.toDoubleArray(), 0);
    }

    @Test
    void aZeroDimTensorIsRefusedWithTheWayToSaveIt(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ts.writeIpc(Tessera.tensor(2.0), dir.toString()));
        assertTrue(e.getMessage().contains("TensorFiles.save"), e.getMessage());
    }
}

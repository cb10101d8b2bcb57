package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;

class IpcFilesTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void tensorsRoundTripThroughArrowIpcFilesOnePerRowBlock(@TempDir Path dir) throws Exception {
        Tensor local = SharedSpark.randn(19, 5);
        Tensor d = ts.distribute(local, 6, 2);
        ts.writeIpc(d, dir.toString());
        try (var files = Files.list(dir)) {
            assertEquals(4, files.filter(p -> p.getFileName().toString().endsWith(".arrow")).count());
        }
        Tensor back = ts.readIpc(dir.toString());
        assertArrayEquals(new long[] {6, 6, 6, 1}, ts.grid(back).chunks(0));
        assertArrayEquals(local.toDoubleArray(), back.toDoubleArray(), 0);
        Path f32 = dir.resolve("f32");
        ts.writeIpc(d.to(DType.FLOAT32), f32.toString());
        Tensor b32 = ts.readIpc(f32.toString());
        assertEquals(DType.FLOAT32, b32.dtype());
        assertArrayEquals(local.to(DType.FLOAT32).toDoubleArray(), b32.toDoubleArray(), 0);
    }
}

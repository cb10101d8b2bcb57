package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ops.Creation;

/** A file region mapped as read-only tensor storage: values, refusals, and when it is unmapped. */
@ExtendWith(LeakCheck.class)
class MappedFilesTest {
    @TempDir
    Path dir;

    /** A file of 64 header bytes (ignored) then the floats 0, 1, ..., n-1. */
    private Path floats(String name, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.position(64);
        for (int i = 0; i < n; i++) {
            b.putFloat(i);
        }
        return Files.write(dir.resolve(name), b.array());
    }

    private static Tensor tensor(Storage s, long n) {
        Shape shape = Shape.of(n);
        return Creation.fromStorage(s, shape, DType.FLOAT32, 0, shape.contiguousStrides());
    }

    @Test
    void aMappedRegionReadsAsATensorAndRefusesWrites() throws IOException {
        Path p = floats("f.bin", 100);
        try (Scope inner = Tessera.scope(); FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            Storage s = MappedFiles.map(ch, 64, 400, 400, "test mapping");
            assertTrue(s.isReadOnly());
            assertEquals(0, s.address() % Memory.ALIGNMENT);
            Tensor t = tensor(s, 100);
            float[] expected = new float[100];
            for (int i = 0; i < 100; i++) {
                expected[i] = i;
            }
            assertArrayEquals(expected, t.toFloatArray());
            assertEquals(4950.0, t.sum().item(), 0.0);
            assertThrows(IllegalStateException.class, () -> t.set(5f, 3));
            assertThrows(IllegalStateException.class, s::arrowBuf);
            ByteBuffer view = t.asByteBuffer();
            assertTrue(view.isReadOnly());
            assertThrows(ReadOnlyBufferException.class, () -> view.putFloat(0, 1f));
            assertEquals(7f, view.getFloat(28));
        }
    }

    @Test
    void badRegionsAreRefusedBeforeMapping() throws IOException {
        Path p = floats("g.bin", 16);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MappedFiles.map(ch, 8, 32, 32, "unaligned"));
            assertTrue(e.getMessage().contains("not a multiple of 64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> MappedFiles.map(ch, 64, 128, 128, "past the end"));
            assertTrue(e.getMessage().contains("outside the 128-byte file"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> MappedFiles.map(ch, 64, 0, 0, "empty"));
            assertThrows(IllegalArgumentException.class, () -> MappedFiles.map(ch, 64, 64, 32, "short mapping"));
            assertThrows(IllegalArgumentException.class,
                    () -> MappedFiles.map(ch, 0, 64, MappedFiles.MAX_BYTES + 1, "too large"));
        }
    }

    @Test
    void theMappingCountsAsAllocatedUntilItsScopeCloses() throws IOException {
        Path p = floats("h.bin", 1024);
        long before = Memory.allocatedBytes();
        Tensor t;
        try (Scope inner = Tessera.scope(); FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            t = tensor(MappedFiles.map(ch, 64, 4096, 4096, "counted"), 1024);
            assertEquals(before + 4096, Memory.allocatedBytes());
        }
        assertEquals(before, Memory.allocatedBytes());
        assertThrows(IllegalStateException.class, t::toFloatArray); // released: an error, not a read of unmapped memory
    }

    @Test
    void theMappingStaysWhileAViewOfItLivesAfterTheFileIsDeleted() throws Exception {
        Path p = floats("k.bin", 256);
        long before = Memory.allocatedBytes();
        ByteBuffer view;
        try (Scope inner = Tessera.scope(); FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            view = tensor(MappedFiles.map(ch, 64, 1024, 1024, "viewed"), 256).asByteBuffer();
        }
        Files.delete(p);
        assertEquals(before + 1024, Memory.allocatedBytes());
        assertEquals(255f, view.getFloat(1020));
        view = null;
        for (int i = 0; i < 50 && Memory.allocatedBytes() > before; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertFalse(Memory.allocatedBytes() > before, "the mapping is released with the view");
    }
}

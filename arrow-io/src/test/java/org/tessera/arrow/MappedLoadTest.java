package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.memory.Memory;

/** Loading tensor files by mapping them: same tensors as the copying load, read-only, lifetimes, fallbacks. */
@ExtendWith(LeakCheck.class)
class MappedLoadTest {
    private static final long[][] SHAPES = {{}, {7}, {3, 4}, {2, 3, 4}, {0}, {2, 0, 3}};

    @TempDir
    Path dir;

    @Test
    void mappedLoadsAreBitIdenticalToCopyingLoadsForEveryDtypeRankAndFormat() {
        int k = 0;
        for (DType dtype : DType.values()) {
            for (long[] shape : SHAPES) {
                for (IpcFormat format : IpcFormat.values()) {
                    Tensor t = Samples.of(dtype, shape);
                    Path p = dir.resolve("t" + k++ + ".arrow");
                    TensorFiles.save(t, p, format);
                    Tensor mapped = TensorFiles.load(p, LoadMode.MAP);
                    Tensor copied = TensorFiles.load(p, LoadMode.COPY);
                    String what = dtype + " " + t.shape() + " " + format;
                    assertEquals(t.shape(), mapped.shape(), what);
                    assertEquals(t.shape(), copied.shape(), what);
                    assertEquals(dtype, mapped.dtype(), what);
                    assertArrayEquals(Bits.of(t), Bits.of(mapped), what);
                    assertArrayEquals(Bits.of(copied), Bits.of(mapped), what);
                    // bool is bit-packed in the file and an empty tensor has no data: both are always copied
                    assertEquals(dtype != DType.BOOL && t.numel() > 0, TensorFiles.isMapped(mapped), what);
                    assertFalse(TensorFiles.isMapped(copied), what);
                }
            }
        }
    }

    @Test
    void autoMapsFromOneMebibyteAndCopiesSmallerTensors() {
        Path small = dir.resolve("small.arrow");
        Path large = dir.resolve("large.arrow");
        Tensor s = Samples.of(DType.FLOAT32, 1000);
        Tensor l = Samples.of(DType.FLOAT64, TensorFiles.MIN_MAPPED_BYTES / 8);
        TensorFiles.save(s, small);
        TensorFiles.save(l, large);
        Tensor s2 = TensorFiles.load(small);
        Tensor l2 = TensorFiles.load(large);
        assertFalse(TensorFiles.isMapped(s2));
        assertTrue(TensorFiles.isMapped(l2));
        assertArrayEquals(s.toFloatArray(), s2.toFloatArray());
        assertArrayEquals(l.toDoubleArray(), l2.toDoubleArray());
    }

    @Test
    void theWriterStartsEveryBatchBodyAtA64ByteBoundary(BufferAllocator alloc) throws IOException {
        Path p = dir.resolve("batches.arrow");
        TensorFiles.save(Samples.of(DType.FLOAT32, 37, 5), p, IpcFormat.FILE, 100);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
             ArrowFileReader reader = new ArrowFileReader(ch, alloc)) {
            List<ArrowBlock> blocks = reader.getRecordBlocks();
            assertTrue(blocks.size() > 3, "several batches: " + blocks.size());
            for (ArrowBlock b : blocks) {
                assertEquals(0, (b.getOffset() + b.getMetadataLength()) % 64, "body of the batch at " + b.getOffset());
            }
            long rows = 0;
            while (reader.loadNextBatch()) {
                rows += reader.getVectorSchemaRoot().getRowCount();
            }
            assertEquals(37, rows); // Arrow Java reads the padded messages
        }
        // several batches are not contiguous in the file: copied
        assertFalse(TensorFiles.isMapped(TensorFiles.load(p, LoadMode.MAP)));
    }

    @Test
    void aMappedTensorIsReadOnlyAndItsExportsCannotWriteTheFile(BufferAllocator alloc) throws Exception {
        Path p = dir.resolve("ro.arrow");
        Tensor t = Samples.of(DType.FLOAT32, 16);
        TensorFiles.save(t, p);
        byte[] before = Files.readAllBytes(p);
        try (Scope inner = Tessera.scope()) {
            checkReadOnly(p, t, alloc);
        }
        assertArrayEquals(before, Files.readAllBytes(p));
        // the view's reference goes when it is collected, and the mapping with it
        for (int i = 0; i < 50 && mapped(p); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertFalse(mapped(p));
    }

    private static void checkReadOnly(Path p, Tensor t, BufferAllocator alloc) {
        Tensor m = TensorFiles.load(p, LoadMode.MAP);
        assertTrue(TensorFiles.isMapped(m));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.set(1.0, 0));
        assertTrue(e.getMessage().contains("read-only") && e.getMessage().contains("LoadMode.COPY"), e.getMessage());

        checkReadOnlyView(m, t);

        // an Arrow vector, which could be written, gets a copy of its own
        try (Float4Vector v = (Float4Vector) ArrowVectors.toVector(m, "x", alloc)) {
            v.set(0, 42f);
            assertEquals(42f, v.get(0), 0f);
        }
        assertArrayEquals(t.toFloatArray(), m.toFloatArray());
        // ops on a mapped tensor write new memory
        Tensor twice = m.mul(2);
        assertEquals(2 * t.get(5).item(), twice.get(5).item(), 0.0);
    }

    private static void checkReadOnlyView(Tensor m, Tensor t) {
        ByteBuffer view = m.asByteBuffer();
        assertTrue(view.isReadOnly());
        assertEquals(ByteOrder.LITTLE_ENDIAN, view.order());
        assertEquals(t.get(3).item(), view.getFloat(12), 0.0);
        assertThrows(ReadOnlyBufferException.class, () -> view.putFloat(0, 42f));
        assertThrows(ReadOnlyBufferException.class, () -> view.slice().put((byte) 1));
    }

    @Test
    void aViewOfAMappedTensorOutlivesItsScopeAndTheMappingGoesWithTheLastReference() throws Exception {
        Path p = dir.resolve("export.arrow");
        Tensor t = Samples.of(DType.INT64, 40, 5);
        TensorFiles.save(t, p);
        long before = Memory.allocatedBytes();
        ByteBuffer view;
        try (Scope inner = Tessera.scope()) {
            Tensor m = TensorFiles.load(p, LoadMode.MAP);
            assertTrue(TensorFiles.isMapped(m));
            assertTrue(Memory.allocatedBytes() >= before + 200 * 8);
            view = m.asByteBuffer();
        }
        Files.delete(p); // on Linux the mapping keeps the data
        // the scope is closed and the file gone, but the view holds the mapping
        long[] expected = t.toLongArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], view.getLong(8 * i), "element " + i);
        }
        assertTrue(Memory.allocatedBytes() >= before + 200 * 8, "the mapping is still counted while the view lives");
        if (Files.isReadable(Path.of("/proc/self/maps"))) {
            assertTrue(mapped(p), "the file is still mapped while the view lives");
        }
        view = null;
        for (int i = 0; i < 50 && (Memory.allocatedBytes() > before || mapped(p)); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Memory.allocatedBytes() <= before, "the mapping is released with its last reference");
        assertFalse(mapped(p), "no mapping of the file is left");
    }

    @Test
    void anUnscopedMappedTensorIsUnmappedWhenUnreachable() throws Exception {
        Path p = dir.resolve("unscoped.arrow");
        TensorFiles.save(Samples.of(DType.FLOAT64, 3, 7), p);
        long before = Memory.allocatedBytes();
        boolean[] wasMapped = new boolean[1];
        Thread loader = new Thread(() -> {
            Tensor m = TensorFiles.load(p, LoadMode.MAP); // no scope open on this thread
            wasMapped[0] = TensorFiles.isMapped(m) && m.toDoubleArray().length == 21;
        });
        loader.start();
        loader.join();
        assertTrue(wasMapped[0]);
        for (int i = 0; i < 50 && (Memory.allocatedBytes() > before || mapped(p)); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Memory.allocatedBytes() <= before);
        assertFalse(mapped(p));
    }

    @Test
    void closingTheScopeUnmapsATensorThatWasNotExported() throws IOException {
        Path p = dir.resolve("scoped.arrow");
        TensorFiles.save(Samples.of(DType.INT32, 9, 9), p);
        Tensor m;
        try (Scope inner = Tessera.scope()) {
            m = TensorFiles.load(p, LoadMode.MAP);
            assertTrue(mapped(p) || !Files.isReadable(Path.of("/proc/self/maps")));
        }
        assertFalse(mapped(p), "unmapped when the scope closed");
        // reading it afterwards is an error, not a crash
        assertThrows(IllegalStateException.class, m::toIntArray);
    }

    @Test
    void filesOfOtherWritersAndVersionOneLoadTheSameMappedOrNot() throws IOException {
        String[] fixtures = {"/v1/float32-6x7.arrow", "/v1/float64-scalar.arrow", "/v1/int64-2x3x4.arrows",
            "/v1/bool-1001.arrows", "/java/bigint.arrows", "/java/bigint-no-eos.arrows", "/java/bit.arrow",
            "/java/fixed-size-list-int32.arrows", "/java/int32-legacy-v4.arrows", "/java/tensor-column-float64.arrow",
            "/interop/js-column.arrows", "/interop/js-tensor-column.arrow", "/interop/js-tensor-column.arrows"};
        List<String> copied = new ArrayList<>();
        for (String f : fixtures) {
            Path p = dir.resolve(f.substring(f.lastIndexOf('/') + 1));
            try (InputStream in = MappedLoadTest.class.getResourceAsStream(f)) {
                Files.write(p, in.readAllBytes());
            }
            Tensor m = TensorFiles.load(p, LoadMode.MAP);
            Tensor c = TensorFiles.load(p, LoadMode.COPY);
            assertEquals(c.shape(), m.shape(), f);
            assertEquals(c.dtype(), m.dtype(), f);
            assertArrayEquals(Bits.of(c.contiguous()), Bits.of(m.contiguous()), f);
            if (!TensorFiles.isMapped(m)) {
                copied.add(f);
            }
        }
        // writers that align to 8 bytes leave most data off a 64-byte boundary: those files are copied
        assertTrue(copied.size() >= 3, "files copied: " + copied);
    }

    @Test
    void aFileTruncatedBeforeLoadingIsRejectedBeforeMapping() throws IOException {
        Path p = dir.resolve("cut.arrows");
        TensorFiles.save(Samples.of(DType.FLOAT32, 64, 64), p, IpcFormat.STREAM);
        byte[] b = Files.readAllBytes(p);
        for (int cut : new int[] {b.length - 9, b.length - 4096, b.length / 2}) {
            Path q = dir.resolve("cut" + cut + ".arrows");
            Files.write(q, java.util.Arrays.copyOf(b, cut));
            TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(q, LoadMode.MAP));
            assertTrue(e.getMessage().startsWith(q + ": "), e.getMessage());
            assertFalse(mapped(q));
        }
    }

    @Test
    void matmulOfAFileTruncatedAfterMappingFailsInsteadOfStoppingTheJvm() throws IOException {
        // OpenBLAS reads the operands natively: a page past the end of the file raised SIGBUS there,
        // which stopped the JVM; the file is checked before the call
        Path p = dir.resolve("shrunk-matrix.arrow");
        TensorFiles.save(Tessera.ones(DType.FLOAT32, 512, 512), p);
        Tensor t = TensorFiles.load(p, LoadMode.MAP);
        assertTrue(TensorFiles.isMapped(t));
        assertEquals(512.0 * 512 * 512, t.matmul(t).sum().item());
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
            c.truncate(4096);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.matmul(t).realize());
        assertTrue(e.getMessage().startsWith("matmul: the memory of tensor file " + p)
                && e.getMessage().contains("truncated") && e.getMessage().contains("it holds 4096 bytes"),
                e.getMessage());
        // a file replaced by a rename leaves the mapped one as it was: nothing to refuse
        Path q = dir.resolve("replaced-matrix.arrow");
        TensorFiles.save(Tessera.ones(DType.FLOAT32, 512, 512), q);
        Tensor u = TensorFiles.load(q, LoadMode.MAP);
        TensorFiles.save(Tessera.zeros(DType.FLOAT32, 2), q); // save writes a temporary file and renames it
        assertEquals(512.0 * 512 * 512, u.matmul(u).sum().item());
    }

    @Test
    void aFileTruncatedAfterMappingFailsEachReadNamingTheOpAndTheFileAndNeverGivesAValue() throws IOException {
        Path p = dir.resolve("shrunk.arrow");
        int n = 1 << 20;
        TensorFiles.save(Tessera.ones(DType.FLOAT32, n), p);
        Tensor t = TensorFiles.load(p, LoadMode.MAP);
        assertEquals(n, t.sum().item());
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
            c.truncate(4096); // another program shrinks the file: its pages are gone from under the mapping
        }
        Tensor sum = t.sum();
        Tensor chain = t.mul(2).add(1).sum();
        for (int attempt = 0; attempt < 2; attempt++) {
            // a failed reduction leaves its tensor uncomputed: asked again, it fails again (it held garbage)
            for (Object[] c : new Object[][] {{"sum", sum}, {"sum", chain}, {"add", t.mul(2).add(1)}}) {
                Tensor x = (Tensor) c[1];
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> x.toFloatArray(), c[0] + " attempt " + attempt);
                assertTrue(e.getMessage().startsWith(c[0] + ": the memory of tensor file " + p)
                        && e.getMessage().contains("truncated") && e.getMessage().contains("LoadMode.COPY"),
                        e.getMessage());
            }
            IllegalStateException read = assertThrows(IllegalStateException.class, t::toFloatArray);
            assertTrue(read.getMessage().startsWith("read: the memory of tensor file " + p), read.getMessage());
            IllegalStateException item = assertThrows(IllegalStateException.class, () -> t.get(5).item());
            assertTrue(item.getMessage().startsWith("item: the memory of tensor file " + p), item.getMessage());
            IllegalStateException print = assertThrows(IllegalStateException.class, t::toString);
            assertTrue(print.getMessage().startsWith("toString: the memory of tensor file " + p), print.getMessage());
        }
    }

    @Test
    void slicesAndDuplicatesOfAMappedTensorsViewKeepTheMapping() throws Exception {
        // the JVM links a read-only view's slices and duplicates to the buffer it wraps, not to the
        // view: the mapping must follow that buffer, or it goes while a slice can still read it
        Path p = dir.resolve("sliced.arrow");
        int n = 1 << 18;
        TensorFiles.save(Tessera.arange(0, n, 1, DType.FLOAT32), p);
        long before = Memory.allocatedBytes();
        ByteBuffer[] derived = new ByteBuffer[2];
        try (Scope inner = Tessera.scope()) {
            Tensor m = TensorFiles.load(p, LoadMode.MAP);
            assertTrue(TensorFiles.isMapped(m));
            ByteBuffer view = m.asByteBuffer();
            derived[0] = view.slice().order(ByteOrder.LITTLE_ENDIAN);
            derived[1] = view.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }
        for (int i = 0; i < 20; i++) {
            System.gc(); // the view itself is unreachable now
            Thread.sleep(10);
        }
        if (Files.isReadable(Path.of("/proc/self/maps"))) {
            assertTrue(mapped(p), "the file is still mapped while a slice of the view lives");
        }
        for (int k = 0; k < 2; k++) {
            assertTrue(derived[k].isReadOnly());
            for (int i : new int[] {0, 1000, n - 1}) {
                assertEquals(i, derived[k].getFloat(4 * i), "buffer " + k + ", element " + i);
            }
        }
        derived[0] = null;
        derived[1] = null;
        for (int i = 0; i < 50 && (Memory.allocatedBytes() > before || mapped(p)); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Memory.allocatedBytes() <= before, "the mapping is released with its last slice");
        assertFalse(mapped(p));
    }

    @Test
    void aTensorOverAReadOnlyBufferIsReadOnly() throws Exception {
        Path p = dir.resolve("rebuffered.arrow");
        TensorFiles.save(Tessera.arange(0, 1 << 18, 1, DType.FLOAT32), p);
        long before = Memory.allocatedBytes();
        wrapReadOnlyBuffers(p);
        // the buffers, and the tensors over them, were local to that call: the mapping goes with them
        for (int i = 0; i < 50 && (Memory.allocatedBytes() > before || mapped(p)); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Memory.allocatedBytes() <= before);
    }

    private static void wrapReadOnlyBuffers(Path p) throws IOException {
        try (Scope s = Tessera.scope()) {
            Tensor m = TensorFiles.load(p, LoadMode.MAP);
            Tensor t = Tessera.fromBuffer(m.asByteBuffer(), DType.FLOAT32, 1 << 18);
            assertEquals(7f, t.get(7).item());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.set(42.0, 0));
            assertTrue(e.getMessage().contains("read-only") && e.getMessage().contains("writable buffer")
                    && !e.getMessage().contains("LoadMode"), e.getMessage());
            assertTrue(t.asByteBuffer().isReadOnly());
            assertEquals(0f, m.get(0).item());
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                ByteBuffer mapped = c.map(FileChannel.MapMode.READ_ONLY, 0, c.size());
                Tensor f = Tessera.fromBuffer(mapped, DType.BOOL, c.size());
                assertThrows(IllegalStateException.class, () -> f.set(1, 0));
            }
        }
    }

    @Test
    void savingAndExportingAFileTruncatedAfterMappingFailNamingTheFile() throws IOException {
        Path p = dir.resolve("shrunk-export.arrow");
        int n = 1 << 20;
        TensorFiles.save(Tessera.arange(0, n, 1, DType.FLOAT32), p);
        Tensor m = TensorFiles.load(p, LoadMode.MAP);
        assertTrue(TensorFiles.isMapped(m));
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
            c.truncate(4096);
        }
        // the checksum of a save reads the memory in an intrinsic where a fault would stop the JVM
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TensorFiles.save(m, dir.resolve("copy.arrow")));
        assertTrue(e.getMessage().startsWith("save: the memory of tensor file " + p), e.getMessage());
        assertFalse(Files.exists(dir.resolve("copy.arrow")));
        try (BufferAllocator alloc = Memory.root().newChildAllocator("truncated", 0, Long.MAX_VALUE)) {
            e = assertThrows(IllegalStateException.class, () -> ArrowVectors.toVector(m, "x", alloc));
            assertTrue(e.getMessage().startsWith("toVector: the memory of tensor file " + p), e.getMessage());
            e = assertThrows(IllegalStateException.class,
                    () -> TensorColumns.toVector(m.reshape(1024, 1024), "x", alloc));
            assertTrue(e.getMessage().startsWith("toVector: the memory of tensor file " + p), e.getMessage());
            e = assertThrows(IllegalStateException.class,
                    () -> ArrowTables.toRoot(m.reshape(262144, 4), List.of("a", "b", "c", "d"), alloc));
            assertTrue(e.getMessage().startsWith("toRoot: the memory of tensor file " + p), e.getMessage());
        }
    }

    @Test
    void damagedDataIsRejectedOnTheMappedBytesAndUnmapped() throws IOException {
        Path p = dir.resolve("flip.arrow");
        TensorFiles.save(Samples.of(DType.FLOAT32, 32, 32), p);
        byte[] b = Files.readAllBytes(p);
        b[b.length / 2] ^= 0x10; // inside the 4 KiB of data
        Files.write(p, b);
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p, LoadMode.MAP));
        assertTrue(e.getMessage().contains("data checksum"), e.getMessage());
        assertFalse(mapped(p), "the mapping of a rejected file is released at once");
    }

    @Test
    void aTensorOfSeveralReadPiecesLoadsTheSameCopiedAndMappedAndDamageInAnyPieceIsFound() throws Exception {
        Path p = dir.resolve("pieces.arrow");
        long n = (1L << 24) + 5; // 64 MiB + 20 bytes of float32: two pieces of a copying load, read in parallel
        long before = Memory.allocatedBytes();
        try (Scope inner = Tessera.scope()) {
            Tensor t = Tessera.rand(Tessera.defaultGenerator(), DType.FLOAT32, n).realize();
            TensorFiles.save(t, p);
            Tensor mapped = TensorFiles.load(p, LoadMode.MAP);
            Tensor copied = TensorFiles.load(p, LoadMode.COPY);
            assertTrue(TensorFiles.isMapped(mapped));
            assertFalse(TensorFiles.isMapped(copied));
            assertSameBytes(t, copied);
            assertSameBytes(t, mapped);
        }
        // the views' references go when they are collected
        for (int i = 0; i < 100 && Memory.allocatedBytes() > before; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Memory.allocatedBytes() <= before, "views released: " + (Memory.allocatedBytes() - before));
        long dataEnd = Files.size(p) - 1024; // the footer and EOS are a few hundred bytes
        for (long at : new long[] {(32L << 20), dataEnd}) {
            byte[] one = new byte[1];
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.read(ByteBuffer.wrap(one), at);
                one[0] ^= 4;
                ch.write(ByteBuffer.wrap(one), at);
            }
            for (LoadMode mode : new LoadMode[] {LoadMode.COPY, LoadMode.MAP}) {
                TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p, mode));
                assertTrue(e.getMessage().contains("data checksum"), mode + " at " + at + ": " + e.getMessage());
            }
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                one[0] ^= 4;
                ch.write(ByteBuffer.wrap(one), at);
            }
        }
    }

    private static void assertSameBytes(Tensor expected, Tensor actual) {
        assertEquals(expected.asByteBuffer(), actual.asByteBuffer());
    }

    @Test
    void aNullModeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> TensorFiles.load(dir.resolve("x.arrow"), null));
    }

    /** Whether this process maps {@code p} now (false where /proc/self/maps cannot be read). */
    static boolean mapped(Path p) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return false;
        }
        String name = p.toAbsolutePath().toString();
        for (String line : Files.readAllLines(maps)) {
            if (line.endsWith(name) || line.endsWith(name + " (deleted)")) {
                return true;
            }
        }
        return false;
    }

    /** The elements' bit patterns, so that comparisons are exact for every dtype. */
    static final class Bits {
        private Bits() {
        }

        static long[] of(Tensor t) {
            return switch (t.dtype()) {
                case FLOAT32 -> {
                    float[] f = t.toFloatArray();
                    long[] out = new long[f.length];
                    for (int i = 0; i < f.length; i++) {
                        out[i] = Float.floatToRawIntBits(f[i]);
                    }
                    yield out;
                }
                case FLOAT64 -> java.util.Arrays.stream(t.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
                case INT32, INT64 -> t.toLongArray();
                case BOOL -> t.to(DType.INT64).toLongArray();
            };
        }
    }
}

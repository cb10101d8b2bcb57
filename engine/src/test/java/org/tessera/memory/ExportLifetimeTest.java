package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Memory handed out of a tensor ({@code asByteBuffer}) stays valid, and private to it, for as
 * long as the export is reachable: after the tensor's scope closes or the tensor is collected
 * the view still reads the tensor's values, writes through it reach no other tensor, and the
 * memory is returned once the view is unreachable.
 */
@ExtendWith(LeakCheck.class)
class ExportLifetimeTest {
    private static final Pattern SUM = Pattern.compile("sum (\\S+) expected (\\S+)");

    private static void assertProbeSums(String... args) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(ExportProbe.class, args);
        assertEquals(0, r.exitCode(), "the probe JVM ended abnormally:\n" + r.output());
        Matcher m = SUM.matcher(r.output());
        assertTrue(m.find(), r.output());
        assertEquals(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(1)), 0.0, r.output());
    }

    @Test
    void viewReadsItsValuesAfterTheScopeCloses() throws Exception {
        assertProbeSums("scope-closed", "65536"); // 256 KiB: below the pool, freed to the system
    }

    @Test
    void viewReadsItsValuesAfterItsTensorIsCollected() throws Exception {
        assertProbeSums("collected", "65536");
    }

    @Test
    void sliceOfAViewKeepsTheMemory() throws Exception {
        assertProbeSums("slice-outlives-view");
    }

    @Test
    void writesThroughAStaleViewNeverReachANewTensor() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(ExportProbe.class, "pooled-write");
        assertEquals(0, r.exitCode(), r.output());
        Matcher m = Pattern.compile("view (\\S+) expected (\\S+) fresh (\\S+) expected (\\S+)").matcher(r.output());
        assertTrue(m.find(), r.output());
        assertEquals(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(1)), 0.0,
                "the stale view must see its own tensor's values, not a new tensor's: " + r.output());
        assertEquals(Double.parseDouble(m.group(4)), Double.parseDouble(m.group(3)), 0.0,
                "writing through the stale view changed a new tensor: " + r.output());
    }

    @Test
    void exportedMemoryIsNeverPooledAndTheTensorItselfStillFailsClearly() {
        ByteBuffer b;
        Tensor t;
        try (Scope s = Tessera.scope()) {
            t = Tessera.full(2f, 1 << 20).mul(1).realize();
            b = t.asByteBuffer();
            assertTrue(t.node().storage().isExported());
        }
        long pooled = Memory.pooledBytes();
        try (Scope s = Tessera.scope()) {
            Tessera.full(5f, 1 << 20).mul(1).realize();
        }
        assertEquals(2f, b.getFloat(4 * 12345));
        assertTrue(Memory.pooledBytes() >= pooled);
        IllegalStateException e = assertThrows(IllegalStateException.class, t::sum);
        assertTrue(e.getMessage().contains("released buffer"), e.getMessage());
    }

    @Test
    @LeakCheck.Unscoped
    void exportedMemoryIsReturnedOnceTheViewIsUnreachable() {
        long before = Memory.allocatedBytes();
        ByteBuffer b = Tessera.arange(0, 1 << 18, 1, DType.FLOAT32).realize().asByteBuffer();
        assertEquals(100f, b.getFloat(400));
        assertTrue(ReclaimTest.gcUntil(() -> Memory.allocatedBytes() >= before + (1 << 20)), "the view's memory is held");
        b = null;
        assertTrue(ReclaimTest.gcUntil(() -> Memory.allocatedBytes() <= before),
                "still held after the view went: " + (Memory.allocatedBytes() - before) + " bytes");
    }

    @Test
    void viewOfAStridedTensorIsAViewOfItsContiguousCopy() {
        Tensor m = Tessera.arange(0, 6, 1, DType.FLOAT32).reshape(2, 3);
        ByteBuffer b = m.t().asByteBuffer();
        assertEquals(6 * 4, b.capacity());
        assertEquals(3f, b.getFloat(4));
        assertFalse(m.node().storage() != null && m.node().storage().isReleased());
    }
}

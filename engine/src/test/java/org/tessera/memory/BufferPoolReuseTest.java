package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tessera;

/**
 * A freed buffer is pooled under the capacity Arrow gave it (a power of two below its chunk size),
 * and the next request of the same size is served from it: sizes that are not powers of two used to
 * be looked up under another size, so each freed buffer stayed in the pool unused (hundreds of MB of
 * resident memory in a loop).
 */
@ExtendWith(LeakCheck.class)
class BufferPoolReuseTest {
    @Test
    void buffersOfSizesThatArrowRoundsUpAreReusedNotPiledUp() {
        for (long elements : new long[] {100_000, 393_216, 2_500_000}) { // 800,000 B, 3 MiB, 20,000,000 B
            Memory.trimPool();
            long[] peak = {0};
            for (int i = 0; i < 40; i++) {
                try (Scope ignored = Tessera.scope()) {
                    Tessera.zeros(DType.FLOAT64, elements).add(1).realize();
                }
                peak[0] = Math.max(peak[0], Memory.pooledBytes());
            }
            long bytes = elements * 8;
            long capacity = Memory.root().getRoundingPolicy().getRoundedSize(bytes);
            // two buffers per step (the zeros and the sum) at most, however many steps ran
            assertTrue(peak[0] <= 2 * Math.max(capacity, 1L << 20) + (2L << 20),
                    elements + " float64: the pool held " + peak[0] + " bytes after 40 steps of two "
                            + capacity + "-byte buffers");
        }
        Memory.trimPool();
    }
}

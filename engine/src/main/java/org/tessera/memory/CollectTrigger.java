package org.tessera.memory;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Decides when off-heap growth calls for a garbage collection: when the bytes in use would pass
 * what was in use after the previous collection by {@code every}. One thread collects at a time;
 * the others carry on allocating.
 */
final class CollectTrigger {
    private volatile long every;
    private volatile long base;
    private final AtomicBoolean running = new AtomicBoolean();

    /** A trigger that fires after {@code every} bytes of growth (0: never). */
    CollectTrigger(long every) {
        setEvery(every);
    }

    void setEvery(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("tessera.memory.collectEvery: " + bytes
                    + " bytes; expected 0 (off) or a positive number");
        }
        every = bytes;
    }

    long every() {
        return every;
    }

    /**
     * Whether a collection is due before allocating {@code size} more bytes with {@code inUse}
     * in use; when it answers true, the caller must collect and then call {@link #collected}.
     */
    boolean due(long inUse, long size) {
        long e = every;
        if (e == 0 || inUse + size - base <= e) {
            return false;
        }
        return running.compareAndSet(false, true);
    }

    /** Records the bytes in use after a collection (the new base) and lets the next one happen. */
    void collected(long inUse) {
        base = Math.max(0, inUse);
        running.set(false);
    }
}

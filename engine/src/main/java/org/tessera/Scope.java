package org.tessera;

import org.tessera.memory.MemoryScope;

/**
 * A block of code whose tensors' memory is freed when it closes.
 *
 * <pre>{@code
 * try (Scope scope = Tessera.scope()) {
 *     Tensor t = Tessera.rand(1000, 1000);
 *     Tensor kept = scope.keep(t.sum());   // survives the scope
 * }                                        // t's buffer is freed here
 * }</pre>
 *
 * <p>A tensor's buffer belongs to the scope that was open when the tensor was created, even if it
 * is computed later inside another scope (or, if its scope has closed by then, to the innermost
 * enclosing scope still open); tensors created outside every scope are freed when they become
 * unreachable. Memory exported from a tensor ({@code asByteBuffer()}, Arrow vectors) stays
 * allocated for as long as the export is reachable, even after the scope closes.
 */
public final class Scope implements AutoCloseable {
    private final MemoryScope memory;

    Scope(MemoryScope memory) {
        this.memory = memory;
    }

    /**
     * Realizes {@code t} and moves its buffer to the enclosing scope (or out of scopes), so that
     * it stays usable after this scope closes. Returns {@code t}.
     */
    public Tensor keep(Tensor t) {
        t.realize();
        org.tessera.memory.Storage s = t.node().storage();
        if (s != null) {
            memory.keep(s);
        }
        return t;
    }

    /** Bytes held by buffers that this scope allocated. */
    public long allocatedBytes() {
        return memory.allocatedBytes();
    }

    /**
     * The most bytes that buffers of this scope, and of scopes opened inside it, held at any time
     * since it opened: the memory high-water mark of the code it encloses.
     */
    public long peakBytes() {
        return memory.peakBytes();
    }

    /** Frees this scope's buffers; fails with the leaked byte count if any remain. */
    @Override
    public void close() {
        memory.close();
    }
}

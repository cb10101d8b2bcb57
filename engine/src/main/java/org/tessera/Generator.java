package org.tessera;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A seedable source of random tensors, as PyTorch's {@code torch.Generator}.
 *
 * <p>Each {@code rand}/{@code randn} call draws the next stream number; every element is a
 * pure function of (seed, stream, element index), so results do not depend on threads or on
 * how a tensor is split into blocks.
 *
 * <pre>{@code
 * Generator g = new Generator(42);
 * Tensor a = Tessera.rand(g, 2, 3);   // the same values on every run with seed 42
 * }</pre>
 */
public final class Generator {
    private final long seed;
    private final AtomicLong stream = new AtomicLong();

    /** A generator with the given seed. */
    public Generator(long seed) {
        this.seed = seed;
    }

    /** The seed it was created with. */
    public long seed() {
        return seed;
    }

    /** Reserves the next stream number. */
    public long nextStream() {
        return stream.getAndIncrement();
    }
}

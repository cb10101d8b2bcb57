package org.tessera.memory;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A reference-counted, 64-byte aligned, off-heap Arrow buffer holding tensor elements.
 *
 * <p>Every node that reads a storage holds one reference, released explicitly, when the
 * node becomes unreachable (through a {@link java.lang.ref.Cleaner}), or all at once when the
 * {@link MemoryScope} that allocated it closes. Any access after the last release raises
 * {@link IllegalStateException}.
 */
public final class Storage {
    private final AtomicInteger refs = new AtomicInteger(1);
    private final long bytes;
    private final String what;
    private volatile ArrowBuf buf;
    private volatile boolean released;
    private volatile MemoryScope scope;
    private boolean wrapped;

    private Storage(ArrowBuf buf, long bytes, String what, MemoryScope scope) {
        this.buf = buf;
        this.bytes = bytes;
        this.what = what;
        this.scope = scope;
    }

    /**
     * Allocates a buffer of {@code bytes} bytes (not zeroed) in the innermost open scope of this
     * thread, or unscoped when none is open.
     */
    public static Storage allocate(long bytes, String what) {
        MemoryScope s = MemoryScope.current();
        BufferAllocator allocator = s != null ? s.allocator() : Memory.root();
        Storage st = new Storage(Memory.allocate(allocator, bytes, what), bytes, what, s);
        if (s != null) {
            s.track(st);
        }
        return st;
    }

    /** Allocates and zeroes a buffer. */
    public static Storage allocateZeroed(long bytes, String what) {
        Storage s = allocate(bytes, what);
        Memory.zero(s.address(), bytes);
        return s;
    }

    /**
     * Wraps an existing Arrow buffer without copying; the storage takes one new reference on it
     * (the caller keeps its own) and releases that when it is released.
     *
     * <p>Like an allocation, the wrapper joins this thread's innermost open scope, if any, so that
     * closing the scope drops the reference deterministically (the memory itself stays with the
     * buffer's owner until the owner releases it too).
     */
    public static Storage wrap(ArrowBuf buf, long bytes, String what) {
        if (bytes > buf.capacity()) {
            throw new IllegalArgumentException(what + ": needs " + bytes + " bytes but the Arrow buffer holds "
                    + buf.capacity());
        }
        MemoryScope s = MemoryScope.current();
        buf.getReferenceManager().retain();
        Storage st = new Storage(buf, bytes, what, s);
        st.wrapped = true;
        if (s != null) {
            s.track(st);
        }
        return st;
    }

    /** The address of the first byte; throws if the buffer was released. */
    public long address() {
        ArrowBuf b = buf;
        if (released || b == null) {
            throw new IllegalStateException("use of a released buffer (" + what + ", " + bytes
                    + " bytes): the tensor's memory was freed when its scope closed or it was closed;"
                    + " keep the tensor in an open scope or call scope.keep(tensor)");
        }
        return b.memoryAddress();
    }

    /** The Arrow buffer (for zero-copy interop); throws if released. */
    public ArrowBuf arrowBuf() {
        address();
        return buf;
    }

    /** The number of bytes that hold elements. */
    public long byteSize() {
        return bytes;
    }

    /** Whether the memory has been freed. */
    public boolean isReleased() {
        return released;
    }

    /** Adds a reference. */
    public Storage retain() {
        if (refs.getAndUpdate(r -> r <= 0 ? r : r + 1) <= 0) {
            address(); // throws with the usual message
        }
        return this;
    }

    /** Drops a reference; the memory is freed when the last one goes. */
    public void release() {
        if (refs.decrementAndGet() == 0) {
            free();
        }
    }

    /** Frees the memory now, whatever the count (used when a scope closes). */
    void free() {
        synchronized (this) {
            if (released) {
                return;
            }
            released = true;
            refs.set(0);
            ArrowBuf b = buf;
            buf = null;
            if (b != null) {
                if (wrapped) {
                    b.close();
                } else {
                    Memory.recycle(b, b.capacity());
                }
            }
        }
    }

    /** Moves this buffer out of its scope into {@code target} (or unscoped when null). */
    synchronized void moveTo(MemoryScope target) {
        if (released) {
            return;
        }
        if (!wrapped) {
            // a wrapped buffer stays with the allocator that made it; only its release moves
            BufferAllocator to = target != null ? target.allocator() : Memory.root();
            ArrowBuf old = buf;
            buf = old.getReferenceManager().transferOwnership(old, to).getTransferredBuffer();
            old.close();
        }
        scope = target;
        if (target != null) {
            target.track(this);
        }
    }

    MemoryScope scope() {
        return scope;
    }

    /** Registers {@code owner} so that this storage loses one reference when owner is unreachable. */
    public void releaseWhenUnreachable(Object owner) {
        Memory.CLEANER.register(owner, this::release);
    }

    @Override
    public String toString() {
        return "Storage[" + what + ", " + bytes + " bytes" + (released ? ", released" : "") + "]";
    }
}

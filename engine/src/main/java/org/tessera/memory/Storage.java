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
 *
 * <p>A kernel that reads or writes the memory {@linkplain #pin() pins} it for as long as it does:
 * a release that comes meanwhile (a scope closed by another thread) takes effect at once for
 * everyone else (further access throws), but the memory itself goes back, to the pool or the
 * system, only when the last pin is dropped. So a computation racing with a scope's close never
 * reads or writes memory that another tensor has been given, nor memory returned to the system.
 */
public final class Storage {
    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    /** A number no other storage of this JVM has (tells memory apart without holding on to it). */
    private final long id = IDS.incrementAndGet();

    private final AtomicInteger refs = new AtomicInteger(1);
    private final long bytes;
    private final String what;
    private volatile ArrowBuf buf;
    private volatile boolean released;
    private volatile MemoryScope scope;
    private boolean wrapped;
    /** Set once the buffer has been handed out of the engine: such memory is never pooled for reuse. */
    private volatile boolean exported;
    /** Memory that must never be written (a read-only file mapping): a write would crash the JVM. */
    private final boolean readOnly;
    /** For memory mapped from a file: the file and where the mapping ends in it; else null. */
    private volatile MappedFiles.Source mappedFrom;
    /** Whether an owner holds it ({@link #releaseWhenUnreachable}): a node's data, say. */
    private volatile boolean attached;
    /** Kernels using the memory now (guarded by this). */
    private int pins;
    /** Released while pinned: the memory goes back when the last pin is dropped (guarded by this). */
    private boolean freeWhenUnpinned;

    private Storage(ArrowBuf buf, long bytes, String what, MemoryScope scope) {
        this(buf, bytes, what, scope, false);
    }

    private Storage(ArrowBuf buf, long bytes, String what, MemoryScope scope, boolean readOnly) {
        this.buf = buf;
        this.bytes = bytes;
        this.what = what;
        this.scope = scope;
        this.readOnly = readOnly;
    }

    /**
     * Allocates a buffer of {@code bytes} bytes (not zeroed) in the innermost open scope of this
     * thread, or unscoped when none is open.
     */
    public static Storage allocate(long bytes, String what) {
        return allocateIn(MemoryScope.current(), bytes, what);
    }

    /**
     * Allocates a buffer of {@code bytes} bytes (not zeroed) owned by {@code owner}: the scope that
     * was open when the tensor it holds was created. When that scope has closed since, the buffer
     * goes to its innermost enclosing scope that is still open, or is unscoped (freed when
     * unreachable) when none is; {@code null} means unscoped.
     */
    public static Storage allocateIn(MemoryScope owner, long bytes, String what) {
        for (MemoryScope s = owner; s != null; s = s.parent()) {
            synchronized (s) {
                // under the scope's lock, so that it cannot close between the allocation and tracking
                if (!s.isClosed()) {
                    Storage st = new Storage(Memory.allocate(s.allocator(), bytes, what), bytes, what, s);
                    s.track(st);
                    return st;
                }
            }
        }
        return new Storage(Memory.allocate(Memory.root(), bytes, what), bytes, what, null);
    }

    /**
     * A stand-in for {@code s} after its holder gave up its reference early (its memory may now
     * hold another value): the same size and description, released, so that any use fails with the
     * usual "released buffer" error instead of reading what the memory holds now.
     */
    public static Storage released(Storage s) {
        Storage gone = new Storage(null, s.bytes, s.what, null);
        gone.released = true;
        gone.refs.set(0);
        gone.writes = s.writes;
        return gone;
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
        return wrap(buf, bytes, what, false);
    }

    /**
     * Wraps memory that must never be written, such as a read-only file mapping ({@link MappedFiles}),
     * as {@link #wrap} does. Such a storage refuses {@link #arrowBuf()} and in-place writes
     * ({@link #checkWritable}), and its {@code ByteBuffer} views are read-only; it is never pooled.
     */
    public static Storage wrapReadOnly(ArrowBuf buf, long bytes, String what) {
        return wrap(buf, bytes, what, true);
    }

    private static Storage wrap(ArrowBuf buf, long bytes, String what, boolean readOnly) {
        if (bytes > buf.capacity()) {
            throw new IllegalArgumentException(what + ": needs " + bytes + " bytes but the Arrow buffer holds "
                    + buf.capacity());
        }
        MemoryScope s = MemoryScope.current();
        buf.getReferenceManager().retain();
        Storage st = new Storage(buf, bytes, what, s, readOnly);
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

    /**
     * The Arrow buffer, to hand to Arrow vectors that take their own reference on it (zero-copy
     * interop); throws if released. From then on the storage is never pooled for reuse when freed:
     * the memory goes back to the operating system once the last Arrow reference is closed, so
     * a vector that outlives the tensor keeps valid memory that no other tensor can get.
     */
    public ArrowBuf arrowBuf() {
        checkWritable("arrowBuf");
        return arrowBufForReading();
    }

    /**
     * The Arrow buffer, as {@link #arrowBuf()}, for code that only reads through it (such as a
     * file writer); unlike {@code arrowBuf()} it is also given for a read-only storage, and the
     * caller must not write through it.
     */
    public ArrowBuf arrowBufForReading() {
        synchronized (this) {
            address();
            exported = true;
            return buf;
        }
    }

    /**
     * A new reference on this storage's memory for an export that Arrow does not track (a direct
     * {@code ByteBuffer} or a raw address): a buffer of the root allocator over the same memory,
     * which keeps it allocated until the returned buffer is closed, whatever happens to this
     * storage (released, its scope closed). The storage is never pooled afterwards. For a
     * {@linkplain #isReadOnly() read-only} storage the caller must not write through it (a
     * {@code ByteBuffer} view is made read-only).
     */
    public ArrowBuf exportReference() {
        synchronized (this) {
            address();
            exported = true;
            return buf.getReferenceManager().retain(buf, Memory.root());
        }
    }

    /** Whether the memory must never be written (a read-only file mapping). */
    public boolean isReadOnly() {
        return readOnly;
    }

    /**
     * Throws unless the memory may be written in place.
     *
     * @throws IllegalStateException for a read-only storage, naming {@code op} and how to get a writable copy
     */
    public void checkWritable(String op) {
        if (readOnly) {
            boolean mapped = mappedFrom != null;
            throw new IllegalStateException(op + ": the tensor's memory is read-only (" + what + ", " + bytes
                    + " bytes); write to a copy (for example t.mul(1), which makes new memory)"
                    + (mapped ? ", or load the file with TensorFiles.load(path, LoadMode.COPY)"
                    : ", or give fromBuffer a writable buffer"));
        }
    }

    /** In-place writes through {@code Tensor.set}, counted so that a computation defined before one can tell. */
    private volatile int writes;

    /** This storage's number, unique in the JVM. */
    public long id() {
        return id;
    }

    /** How many times the memory was written in place ({@link #wrote}). */
    public int writes() {
        return writes;
    }

    /** Records an in-place write (a tensor defined from this memory earlier and computed later would see it). */
    public void wrote() {
        synchronized (this) {
            writes++;
        }
    }

    /** Whether the memory was ever handed out of the engine (and so is never reused by the pool). */
    public boolean isExported() {
        return exported;
    }

    /** The number of bytes that hold elements. */
    public long byteSize() {
        return bytes;
    }

    /** Whether an owner was registered with {@link #releaseWhenUnreachable} (the storage is some node's data). */
    public boolean isAttached() {
        return attached;
    }

    void mappedFrom(MappedFiles.Source source) {
        mappedFrom = source;
    }

    /** Whether the memory is mapped from a file that {@link #checkMapped} can check. */
    public boolean isMapped() {
        return mappedFrom != null;
    }

    /**
     * Before {@code op} reads this storage: for memory mapped from a file, fails with
     * {@link IllegalStateException} naming the op and the file when the file is now shorter than
     * the mapping (a page past its end faults: native code such as BLAS stops the JVM, Java code gets
     * an {@code InternalError}, on Java 17 possibly only later); for any other memory, does nothing.
     */
    public void checkMapped(String op) {
        MappedFiles.Source s = mappedFrom;
        if (s != null) {
            s.check(op, what);
        }
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

    /**
     * Adds a reference for a new owner that will overwrite the memory in place, when that is safe:
     * this storage has one reference (no view or other node shares it), holds {@code bytes} bytes,
     * belongs to {@code owner} (an open scope, or null for unscoped memory), was never handed out
     * of the engine, and is neither wrapped nor read-only nor mapped from a file. Returns whether it
     * did; the caller's owner of the old contents must not read them afterwards.
     */
    public synchronized boolean retainToOverwrite(MemoryScope owner, long bytes) {
        if (released || refs.get() != 1 || exported || wrapped || readOnly || mappedFrom != null
                || this.bytes != bytes || scope != owner || (owner != null && owner.isClosed())) {
            return false;
        }
        refs.incrementAndGet();
        return true;
    }

    /** Drops a reference; the memory is freed when the last one goes. */
    public void release() {
        if (refs.decrementAndGet() == 0) {
            free();
        }
    }

    /**
     * Keeps the memory valid until {@link #unpin()}, even if the storage is released meanwhile;
     * throws, as {@link #address()} does, if it is released already.
     */
    public Storage pin() {
        synchronized (this) {
            address();
            pins++;
        }
        return this;
    }

    /**
     * Pins the storage (as {@link #pin()}) when another thread can free it meanwhile, that is when
     * it belongs to a scope that another thread opened (only that thread can close it); returns
     * whether it did. An unscoped storage is freed only once nothing reaches it, and a scope of the
     * calling thread cannot close while this thread is busy, so those need no pin. Throws if the
     * storage is released already.
     */
    public boolean pinIfSharedWithOtherThreads() {
        MemoryScope s = scope;
        if (s == null || s.isOwnedByCurrentThread()) {
            address(); // the usual error when it is released already
            return false;
        }
        pin();
        return true;
    }

    /**
     * The error for a memory fault while {@code op} read this storage: for memory mapped from a
     * file (which faults when the file is truncated after the load), an {@link IllegalStateException}
     * naming the op and the file; for any other memory, {@code fault} itself.
     */
    public RuntimeException readFault(String op, InternalError fault) {
        if (!readOnly) {
            throw fault;
        }
        return new IllegalStateException(op + ": the memory of " + what + " (" + bytes + " bytes, mapped read-only)"
                + " can no longer be read: the file was truncated or replaced after it was loaded; load it again,"
                + " or load it with LoadMode.COPY to keep a private copy (" + fault.getMessage() + ")", fault);
    }

    /** Drops a pin taken by {@link #pin()}; the last one frees the memory of a storage released meanwhile. */
    public void unpin() {
        synchronized (this) {
            if (pins <= 0) {
                throw new IllegalStateException("unpin: " + what + " is not pinned");
            }
            if (--pins == 0 && freeWhenUnpinned) {
                freeWhenUnpinned = false;
                giveBack();
            }
        }
    }

    /** Frees the memory now, whatever the count (used when a scope closes); while pinned, when the last pin goes. */
    void free() {
        synchronized (this) {
            if (released) {
                return;
            }
            released = true;
            refs.set(0);
            if (pins > 0) {
                freeWhenUnpinned = true;
                if (!wrapped && buf.getReferenceManager().getAllocator() != Memory.root()) {
                    // its scope's allocator closes now: the pinned memory waits outside it (same address)
                    buf = Memory.move(buf, Memory.root());
                }
                return;
            }
            giveBack();
        }
    }

    /** Returns the buffer to the pool or the system (under this storage's lock, once released and unpinned). */
    private void giveBack() {
        ArrowBuf b = buf;
        buf = null;
        if (b != null) {
            if (wrapped || exported) {
                // an export may still see this memory: drop our reference, never pool it
                b.close();
            } else {
                Memory.recycle(b, b.capacity());
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
            buf = Memory.move(buf, to);
        }
        scope = target;
        if (target != null) {
            target.track(this);
        }
    }

    MemoryScope scope() {
        return scope;
    }

    /**
     * Registers {@code owner} so that this storage loses one reference when owner is unreachable;
     * the owner may drop that reference sooner with {@code clean()} on the result (once either way).
     */
    public java.lang.ref.Cleaner.Cleanable releaseWhenUnreachable(Object owner) {
        attached = true;
        return Memory.CLEANER.register(owner, this::release);
    }

    @Override
    public String toString() {
        return "Storage[" + what + ", " + bytes + " bytes" + (released ? ", released" : "") + "]";
    }
}

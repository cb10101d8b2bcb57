package org.tessera.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A region of code whose tensor buffers are freed when it closes.
 *
 * <p>Scopes nest per thread. Each has its own Arrow child allocator, so closing a scope
 * checks that nothing it allocated is still outstanding and reports the leaked bytes if so.
 * Users reach this through {@code org.tessera.Scope}.
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final BufferAllocator allocator;
    private final MemoryScope parent;
    private final List<Storage> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private MemoryScope(MemoryScope parent, String name) {
        this.parent = parent;
        BufferAllocator p = parent != null ? parent.allocator : Memory.root();
        this.allocator = p.newChildAllocator(name, 0, p.getLimit());
    }

    /** Opens a scope nested in this thread's current one. */
    public static MemoryScope open(String name) {
        ArrayDeque<MemoryScope> stack = STACK.get();
        MemoryScope s = new MemoryScope(stack.peek(), name);
        stack.push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static MemoryScope current() {
        return STACK.get().peek();
    }

    BufferAllocator allocator() {
        return allocator;
    }

    /** Whether the calling thread opened this scope (only it may close it). */
    boolean isOwnedByCurrentThread() {
        return thread == Thread.currentThread();
    }

    /** The scope this one is nested in, or null. */
    MemoryScope parent() {
        return parent;
    }

    /** Whether the scope has closed. */
    public synchronized boolean isClosed() {
        return closed;
    }

    synchronized void track(Storage s) {
        if (closed) {
            throw new IllegalStateException("scope: allocation in a closed scope");
        }
        owned.add(s);
    }

    /**
     * Moves {@code s} to the enclosing scope (or unscoped), so that it outlives this one; a
     * storage this scope does not own already outlives it and is left as it is.
     */
    public synchronized void keep(Storage s) {
        if (s.scope() == this) {
            owned.remove(s);
            s.moveTo(parent);
        }
    }

    /** Bytes this scope's buffers hold now. */
    public long allocatedBytes() {
        return allocator.getAllocatedMemory();
    }

    /** The most bytes this scope's buffers (nested scopes' included) held at any time since it opened. */
    public long peakBytes() {
        return allocator.getPeakMemoryAllocation();
    }

    /**
     * Frees every buffer this scope allocated and did not keep.
     *
     * @throws IllegalStateException if bytes are still outstanding afterwards (a leak), or the
     *     scope is closed on another thread or out of order
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            // checked before marking closed, so that a refused close leaves the scope open and closable
            ArrayDeque<MemoryScope> stack = STACK.get();
            if (Thread.currentThread() != thread || stack.peek() != this) {
                throw new IllegalStateException("scope: closed out of order or on another thread; close scopes"
                        + " in the reverse order of opening, with try-with-resources");
            }
            closed = true;
            stack.pop();
        }
        for (Storage s : owned) {
            s.free();
        }
        owned.clear();
        long leaked = allocator.getAllocatedMemory();
        if (leaked != 0) {
            throw new IllegalStateException("scope: " + leaked + " bytes leaked: buffers allocated in this scope"
                    + " were not released");
        }
        allocator.close();
    }
}

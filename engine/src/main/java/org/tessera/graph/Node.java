package org.tessera.graph;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.memory.MemoryScope;
import org.tessera.memory.Storage;

/**
 * One value in the op graph: an op, its inputs, and the inferred shape, dtype and device.
 *
 * <p>A node is realized when its data exists: locally as a strided view of a {@link Storage}
 * (offset and strides in elements), or held by another backend in {@link #remote()}. Once
 * realized, a node that no gradient needs forgets its inputs, so long chains do not pin memory.
 *
 * <p>A node made while {@link #internalNodes()} is open on its thread (the gradient graph that
 * backward builds) is <em>internal</em>: no tensor handle is given out for it, so once every node
 * that reads it has been computed nothing can read it again, and a backend may give its buffer back
 * at once ({@link #consume}, {@link #releaseData}) instead of when the garbage collector or its scope
 * gets to it. A node handed out (a leaf's gradient) or realized on request (rather than as the
 * input of a node being computed: whoever asks holds it, and may make further readers of it) is
 * {@linkplain #expose() exposed} and keeps its data as any other.
 */
public final class Node {
    private static final AtomicLong IDS = new AtomicLong();
    private static final Node[] NONE = new Node[0];
    /** Depth of open {@link #internalNodes()} blocks on each thread. */
    private static final ThreadLocal<int[]> INTERNAL = ThreadLocal.withInitial(() -> new int[1]);
    /** Open {@link #internalNodes()} blocks on all threads: when none is, a new node skips the thread-local. */
    private static final java.util.concurrent.atomic.AtomicInteger OPEN_BLOCKS =
            new java.util.concurrent.atomic.AtomicInteger();
    private static final AtomicIntegerFieldUpdater<Node> CONSUMERS =
            AtomicIntegerFieldUpdater.newUpdater(Node.class, "consumers");
    private static final AtomicIntegerFieldUpdater<Node> CONSUMED =
            AtomicIntegerFieldUpdater.newUpdater(Node.class, "consumed");

    private final long id = IDS.incrementAndGet();
    private final Op op;
    private final Shape shape;
    private final DType dtype;
    private final Device device;
    private final Object attrs;
    /** The scope open on the creating thread when this node was built: its buffer belongs there. */
    private final MemoryScope scope = MemoryScope.current();
    private volatile Node[] inputs;
    /** Made inside {@link #internalNodes()} and not exposed since: no handle to it was given out. */
    private volatile boolean internal = OPEN_BLOCKS.get() > 0 && INTERNAL.get()[0] > 0;
    /** Nodes made with this one among their inputs (each counted once). */
    private volatile int consumers;
    /** Of those, the ones computed (and so done reading it), as reported to {@link #consume}. */
    private volatile int consumed;
    /** Abandoned by {@link #abandon}: its inputs were told it is done reading them (guarded by dataLock). */
    private boolean abandoned;
    /** The thread that made the node: only its steps release or overwrite an internal node early. */
    private final Thread creator = Thread.currentThread();
    /** Read by a step on another thread than {@link #creator} (guarded by dataLock). */
    private boolean sharedRead;
    /** Claimed by a step that writes over its buffer (guarded by dataLock). */
    private boolean taken;
    /** Its data was given back early (guarded by dataLock). */
    private boolean given;
    /** Drops this node's reference on its storage, once: on {@link #releaseData} or when the node is unreachable. */
    private volatile Cleaner.Cleanable dataHold;

    private volatile Storage storage;
    private long offset;
    private long[] strides;
    private volatile Object remote;

    /** Guards the transition to realized (not the node's monitor, which the realizer holds while computing). */
    private final Object dataLock = new Object();
    /**
     * Another node computed from the same input by the same pass where a backend can (the values
     * and the indices of {@code max(dim)}); weak, so that it does not keep an unused result alive.
     */
    private volatile java.lang.ref.WeakReference<Node> sibling;
    /**
     * Held while the node is computed ({@link #computeLock}): the node itself, or one object shared
     * with its {@linkplain #pair paired} sibling, since computing either may compute both.
     */
    private volatile Object computeLock = this;

    private volatile boolean requiresGrad;
    private volatile boolean markedLeaf;
    private volatile Node grad;

    /**
     * A node of {@code op}.
     *
     * @throws IllegalArgumentException when the value would take more than 2^63-1 bytes
     */
    public Node(Op op, Shape shape, DType dtype, Device device, Object attrs, Node... inputs) {
        byteSize(op.name().toLowerCase(java.util.Locale.ROOT), shape, dtype);
        this.op = op;
        this.shape = shape;
        this.dtype = dtype;
        this.device = device;
        this.attrs = attrs;
        this.inputs = inputs.length == 0 ? NONE : inputs;
        if (inputs.length == 0) {
            this.inputBases = NO_BASES;
            this.inputWrites = NO_WRITES;
        } else {
            this.inputBases = new long[inputs.length];
            this.inputWrites = new int[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                Storage m = memoryOf(inputs[i]).storage;
                inputBases[i] = m == null ? 0 : m.id();
                inputWrites[i] = m == null ? 0 : m.writes();
            }
        }
        // only an internal node's readers are ever counted on (and a node never becomes internal later)
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].internal && !appearsBefore(inputs, i)) {
                CONSUMERS.incrementAndGet(inputs[i]);
            }
        }
    }

    /**
     * The memory each input reads when the node was made, by {@link Storage#id}: its own, or for a
     * view not yet computed its base's (a view shares it once computed); 0 for an input whose memory
     * does not exist yet.
     */
    private final long[] inputBases;

    /** In-place writes into each {@link #inputBases} entry when the node was made ({@link #checkInputsUnwritten}). */
    private final int[] inputWrites;

    /** In-place writes into this node's memory when it was computed ({@link #writtenSinceComputed}). */
    private volatile int writesWhenComputed;

    private static final long[] NO_BASES = new long[0];
    private static final int[] NO_WRITES = new int[0];

    /** The node whose memory {@code n} reads: itself, or the base of a view not computed yet. */
    private static Node memoryOf(Node n) {
        while (n.storage == null && n.op.kind() == Op.Kind.MOVEMENT && n.inputs.length > 0) {
            n = n.inputs[0];
        }
        return n;
    }

    /**
     * Whether input {@code i}'s values may have changed by an in-place write ({@code Tensor.set})
     * since this node was made: a write into the memory it read then (its own, or its base's for a
     * view), or, for an input computed later into memory of its own, a write since it was computed.
     */
    public boolean inputWritten(int i) {
        Node[] in = inputs;
        if (i >= in.length) {
            return false; // computed, and its inputs let go: nothing reads them any more
        }
        Node m = memoryOf(in[i]);
        Storage s = m.storage;
        if (s == null || s.isReleased()) {
            return false; // not computed yet (computing it checks its own inputs), or gone (reading it fails)
        }
        // memory that did not exist when this node was made was allocated since, with no write yet:
        // every write into it came after this node was made (a lazy base computed later, then written)
        return s.id() == inputBases[i] ? s.writes() != inputWrites[i] : s.writes() != 0;
    }

    /** Whether this node's own memory was written in place since it was computed (false while not computed). */
    public boolean writtenSinceComputed() {
        Storage s = storage;
        return s != null && s.writes() != writesWhenComputed;
    }

    /**
     * Fails when an input's memory was written in place ({@code Tensor.set}) after this node was
     * made from it and before it is computed: PyTorch computes an op when it is called, so it would
     * have read the values from before the write; computed now it would read the new ones. A view
     * (a movement op) is exempt: it shows the write in PyTorch too. Called by a backend before it
     * computes the node.
     *
     * @throws IllegalStateException naming the op, its shape and what to do instead
     */
    public void checkInputsUnwritten() {
        if (op.kind() == Op.Kind.MOVEMENT) {
            return;
        }
        checkInputsUnwrittenForCopy();
    }

    /**
     * {@link #checkInputsUnwritten} for a movement op that the backend computes as a copy (a
     * reshape the layout does not allow as a view): a copy reads its input's values when computed,
     * so a write made after it was defined would reach it where PyTorch's copy holds the old values.
     */
    public void checkInputsUnwrittenForCopy() {
        boolean written = false;
        for (int i = 0; i < inputs.length; i++) {
            written |= inputWritten(i);
        }
        if (written) {
            throw new IllegalStateException(op.name().toLowerCase(java.util.Locale.ROOT) + " " + shape + ": an input was"
                    + " written in place (set) after this tensor was defined from it and before it was computed, so it"
                    + " would read the new values where PyTorch, computing it when called, read the old ones; call"
                    + " realize() on it before the write, or define it after the write");
        }
    }

    /** Whether {@code nodes[i]} also appears at a lower index (a node read twice is one consumer). */
    public static boolean appearsBefore(Node[] nodes, int i) {
        for (int j = 0; j < i; j++) {
            if (nodes[j] == nodes[i]) {
                return true;
            }
        }
        return false;
    }

    // ---- internal nodes and early release ----

    /** Marks nodes made on this thread as internal until closed; blocks nest. */
    public static InternalNodes internalNodes() {
        INTERNAL.get()[0]++;
        OPEN_BLOCKS.incrementAndGet();
        return new InternalNodes();
    }

    /** An open {@link #internalNodes()} block. */
    public static final class InternalNodes implements AutoCloseable {
        private boolean closed;

        private InternalNodes() {
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                INTERNAL.get()[0]--;
                OPEN_BLOCKS.decrementAndGet();
            }
        }
    }

    /**
     * Whether internal nodes give their buffers back early: {@code tessera.memory.releaseEarly} is not
     * {@code false} (read each time, so that it may be switched while the JVM runs).
     */
    public static boolean releaseEarly() {
        String v = org.tessera.EngineProperty.MEMORY_RELEASE_EARLY.value();
        return v == null || !v.trim().equalsIgnoreCase("false");
    }

    /** Whether the node is internal: made in {@link #internalNodes()} and never handed out. */
    public boolean isInternal() {
        return internal;
    }

    /** Records that a handle to this node is given out: its data is kept as any tensor's. */
    public void expose() {
        if (internal) {
            internal = false;
        }
    }

    /** How many nodes were made with this one as an input while it was internal (others are not counted). */
    public int consumerCount() {
        return consumers;
    }

    /** How many of the nodes reading this one are done reading it ({@link #consume}). */
    public int consumedCount() {
        return consumed;
    }

    /**
     * Records that {@code uses} more of the nodes reading this one are done with it (computed, or
     * abandoned: made but never to be computed); returns true, once, when that makes them all done
     * for an internal node that no gradient needs. Nothing can read such a node again: its buffer may
     * be {@linkplain #releaseData released}, and if it was never realized, it will never read its own
     * inputs either.
     */
    public boolean consume(int uses) {
        int done = CONSUMED.addAndGet(this, uses);
        return done == consumers && internal && !requiresGrad;
    }

    /**
     * Abandons {@code root}, an internal node made but never to be computed (a gradient that backward
     * made for an input that needs none), unless it is in {@code live}: each node it reads is told
     * that one reader is done, and nodes that thereby lose their last reader and are not in
     * {@code live} are abandoned in turn (or, if realized, give their buffer back).
     */
    public static void abandon(Node root, java.util.Set<Node> live) {
        if (!root.internal || root.requiresGrad || root.isRealized() || root.consumers != 0 || live.contains(root)
                || !root.markAbandoned()) {
            return;
        }
        java.util.ArrayDeque<Node> stack = new java.util.ArrayDeque<>();
        stack.push(root);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            Node[] in = n.inputs;
            for (int i = 0; i < in.length; i++) {
                Node d = in[i];
                if (appearsBefore(in, i) || !d.consume(1) || live.contains(d)) {
                    continue;
                }
                if (d.isRealized()) {
                    if (d.storage != null && releaseEarly()) {
                        d.releaseData(); // its last reader will never run
                    }
                } else if (d.markAbandoned()) {
                    stack.push(d);
                }
            }
        }
    }

    private boolean markAbandoned() {
        synchronized (dataLock) {
            if (abandoned) {
                return false;
            }
            abandoned = true;
            return true;
        }
    }

    /**
     * Gives up this node's reference on its data now rather than when it becomes unreachable (the
     * memory goes back once no view shares it, or stays with the node that overwrote it in place).
     * The node stays realized, on a released stand-in for its storage: reading it afterwards fails
     * with "released buffer". Only for a node nothing will read again (see {@link #consume}).
     */
    public void releaseData() {
        Cleaner.Cleanable h;
        synchronized (dataLock) {
            if (sharedRead) { // never set while claimed: touch() then reports BEING_OVERWRITTEN
                return; // another thread reads it: it goes back when unreachable or its scope closes
            }
            h = dataHold;
            dataHold = null;
            if (h != null && storage != null) {
                storage = Storage.released(storage);
                given = true;
            }
            taken = false;
        }
        if (h != null) {
            h.clean();
        }
    }

    /** What {@link #touch} found. */
    public enum Touch {
        /** The data may be read. */
        READABLE,
        /** Given back early: a reader must plan again (whatever replaced it is computed by now). */
        GIVEN_BACK,
        /** Being overwritten by the step that reads it last: a reader must wait for that step. */
        BEING_OVERWRITTEN
    }

    /**
     * Called by a step before it reads this node's data. The early release and overwriting of an
     * internal node are decided on the thread that made it (backward's); a step on another thread
     * that reads the node marks it, under the same lock, as read from elsewhere, after which it is
     * never released early nor overwritten (it goes back as any buffer does). Returns whether the
     * data can be read now, or why not.
     */
    public Touch touch() {
        if (!internal || Thread.currentThread() == creator) {
            return Touch.READABLE;
        }
        synchronized (dataLock) {
            if (taken) {
                return Touch.BEING_OVERWRITTEN;
            }
            if (given) {
                return Touch.GIVEN_BACK;
            }
            sharedRead = true;
            return Touch.READABLE;
        }
    }

    /**
     * Claims this node's buffer for a step on the thread that made it, which will write over it;
     * false when another thread has read the node or it was given back. A claimed node's data is
     * given back by {@link #releaseData} when the step ends (or {@link #unclaim}ed).
     */
    public boolean claim() {
        if (Thread.currentThread() != creator) {
            return false;
        }
        synchronized (dataLock) {
            if (sharedRead || given || taken) {
                return false;
            }
            taken = true;
            return true;
        }
    }

    /** Undoes {@link #claim} when the buffer was not taken after all. */
    public void unclaim() {
        synchronized (dataLock) {
            taken = false;
        }
    }

    public long id() {
        return id;
    }

    public Op op() {
        return op;
    }

    public Shape shape() {
        return shape;
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    public Object attrs() {
        return attrs;
    }

    /** The inputs; empty for sources and for realized nodes that no gradient needs. */
    public Node[] inputs() {
        return inputs;
    }

    public Node input(int i) {
        return inputs[i];
    }

    /**
     * The bytes that a value of {@code shape} and {@code dtype} takes, checked: every byte size,
     * offset and stride in bytes computed from a node's shape fits in a {@code long} once its node
     * exists.
     *
     * @throws IllegalArgumentException when the byte count exceeds 2^63-1
     */
    public static long byteSize(String op, Shape shape, DType dtype) {
        try {
            return Math.multiplyExact(shape.numel(), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": shape " + shape
                    + " of " + dtype + " has " + shape.numel() + " elements of " + dtype.byteSize()
                    + " bytes, more than 2^63-1 bytes in all; no tensor can be that large");
        }
    }

    /** The scope that was open when this node was created (its buffer belongs to it), or null. */
    public MemoryScope scope() {
        return scope;
    }

    // ---- data ----

    /** Whether the node's data exists (locally or with its backend). */
    public boolean isRealized() {
        return storage != null || remote != null;
    }

    /** The local buffer, or null when unrealized or held remotely. */
    public Storage storage() {
        return storage;
    }

    /** Offset of element [0, 0, …] in elements. */
    public long offset() {
        return offset;
    }

    /** Strides in elements (a copy is not made: do not modify). */
    public long[] strides() {
        return strides;
    }

    /** Address of element [0, 0, …]; throws if the buffer was released. */
    public long address() {
        return storage.address() + offset * dtype.byteSize();
    }

    /** Whether the local data is row-major contiguous from its offset. */
    public boolean isContiguous() {
        long[] c = shape.contiguousStrides();
        long[] dims = shape.dims();
        for (int i = 0; i < c.length; i++) {
            if (dims[i] != 1 && c[i] != strides[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Attaches local data. The node takes over one reference of {@code s}, which it releases
     * when it becomes unreachable.
     */
    public void setData(Storage s, long offset, long[] strides) {
        if (!trySetData(s, offset, strides)) {
            throw new IllegalStateException("node " + id + " (" + op + ") is already realized");
        }
    }

    /**
     * Attaches local data unless the node is realized already (by another thread computing its
     * sibling); returns whether it took {@code s}. When it did not, the caller still owns {@code s}.
     */
    public boolean trySetData(Storage s, long offset, long[] strides) {
        synchronized (dataLock) {
            if (isRealized()) {
                return false;
            }
            this.offset = offset;
            this.strides = strides;
            this.writesWhenComputed = s.writes();
            this.storage = s;
        }
        Cleaner.Cleanable hold = s.releaseWhenUnreachable(this);
        synchronized (dataLock) {
            dataHold = hold;
        }
        afterRealize();
        return true;
    }

    /**
     * Links two nodes that one pass can compute together (both read the same input the same
     * way); a backend that cannot may ignore the link.
     */
    public static void pair(Node a, Node b) {
        Object shared = new Object();
        a.computeLock = shared;
        b.computeLock = shared;
        a.sibling = new java.lang.ref.WeakReference<>(b);
        b.sibling = new java.lang.ref.WeakReference<>(a);
    }

    /**
     * What a backend holds while it computes this node: threads realizing the node, or its paired
     * sibling (which one pass may compute with it), at the same time compute it once, one after
     * the other.
     */
    public Object computeLock() {
        return computeLock;
    }

    /** The node linked by {@link #pair}, if it is still reachable and not yet realized; else null. */
    public Node pendingSibling() {
        java.lang.ref.WeakReference<Node> ref = sibling;
        Node n = ref == null ? null : ref.get();
        return n == null || n.isRealized() ? null : n;
    }

    /** Attaches data held by another backend. */
    public void setRemote(Object handle) {
        this.remote = handle;
        afterRealize();
    }

    /** The other backend's handle, or null. */
    public Object remote() {
        return remote;
    }

    private void afterRealize() {
        if (!requiresGrad || markedLeaf) {
            inputs = NONE;
        }
    }

    // ---- autograd state ----

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public void setRequiresGrad(boolean v) {
        this.requiresGrad = v;
    }

    /**
     * Whether this node is a leaf for autograd: no inputs to pass gradients to, or no gradient
     * history when it was built (as a detached tensor later marked with requiresGrad).
     */
    public boolean isLeaf() {
        return markedLeaf || inputs.length == 0 || !op.isDifferentiable();
    }

    /**
     * Makes a computed node without gradient history a leaf (its inputs still compute its
     * value, but gradients stop here), as when a detached result is marked to require grad.
     */
    public void markLeaf() {
        if (requiresGrad && !isLeaf()) {
            throw new IllegalStateException("node " + id + " (" + op + ") has gradient history and cannot become a leaf");
        }
        markedLeaf = true;
        if (isRealized()) {
            inputs = NONE;
        }
    }

    public Node grad() {
        return grad;
    }

    public void setGrad(Node g) {
        if (g != null) {
            g.expose(); // handed out through grad()
        }
        this.grad = g;
    }

    @Override
    public String toString() {
        return "Node#" + id + "(" + op + ", " + shape + ", " + dtype + ")";
    }
}

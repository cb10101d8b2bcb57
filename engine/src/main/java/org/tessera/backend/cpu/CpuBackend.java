package org.tessera.backend.cpu;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.backend.Backend;
import org.tessera.backend.FusedChain;
import org.tessera.backend.Realizer;
import org.tessera.graph.Attrs;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.memory.Memory;
import org.tessera.memory.MemoryScope;
import org.tessera.memory.Storage;

/**
 * Realizes graphs on the host CPU: fused elementwise passes, reductions (which consume an
 * unrealized elementwise input chain tile by tile), views, OpenBLAS matmul, all on off-heap
 * Arrow memory.
 */
public final class CpuBackend implements Backend {

    @Override
    public String deviceType() {
        return "cpu";
    }

    @Override
    public boolean isAvailable(Device device) {
        return device.type().equals("cpu");
    }

    @Override
    public Node toHost(Node node) {
        realize(node);
        return node;
    }

    @Override
    public Node fromHost(Node hostNode, Device device) {
        return hostNode;
    }

    @Override
    public void realize(Node target) {
        // a node asked for by name (not as another's input) has a holder: never released early
        target.expose();
        if (target.isRealized()) {
            return;
        }
        // fused chains are planned once, when their dependencies are asked for
        Map<Node, FusedProgram> programs = new IdentityHashMap<>();
        Realizer.realize(target, new Realizer.Steps() {
            @Override
            public List<Node> dependencies(Node n) {
                return CpuBackend.dependencies(n, programs);
            }

            @Override
            public void execute(Node n) {
                FusedProgram program = programs.remove(n);
                Node[] inputs = n.inputs(); // a realized node drops them
                Node gone = null;
                long waitUntil = 0;
                while (true) {
                    try {
                        step(n, inputs, program);
                        return;
                    } catch (RetryStep retry) {
                        // a gradient intermediate that this step read through a node another thread computed
                        // meanwhile was given back or is being overwritten: plan again (and wait for that step)
                        program = null;
                        if (retry.touch == Node.Touch.GIVEN_BACK) {
                            if (retry.node == gone) {
                                throw new IllegalStateException(n.op().name().toLowerCase(java.util.Locale.ROOT)
                                        + ": an intermediate value of a gradient graph (" + retry.node + ") was given"
                                        + " back by the thread that made it before this thread could read it");
                            }
                            gone = retry.node;
                        } else {
                            long now = System.nanoTime();
                            waitUntil = waitUntil == 0 ? now + 60_000_000_000L : waitUntil;
                            if (now > waitUntil) {
                                throw new IllegalStateException(n.op().name().toLowerCase(java.util.Locale.ROOT)
                                        + ": waited 60 s for another thread's step writing over " + retry.node);
                            }
                            Thread.onSpinWait();
                            Thread.yield();
                        }
                    }
                }
            }

            private void step(Node n, Node[] inputs, FusedProgram program) {
                List<Storage> pins = STEP_PINS.get();
                List<Storage> outputs = STEP_OUTPUTS.get();
                int mark = pins.size();
                int outMark = outputs.size();
                FusedProgram[] ran = STEP_PROGRAM.get();
                FusedProgram outer = ran[0]; // a step that another step's kernel started, on this thread
                ran[0] = null;
                boolean done = false;
                try {
                    if (program != null && program.isStale()) {
                        // part of its chain was realized since it was planned (a node it inlines fed another
                        // step): its leaves may be given back already, so it is planned again, not pinned
                        program = null;
                    }
                    pinInputs(n, program, pins);
                    n.checkInputsUnwritten(); // and, in current(), the nodes its program inlines
                    CpuBackend.this.execute(n, program);
                    done = true;
                } catch (InternalError fault) {
                    throw readFault(n, inputs, program, fault);
                } finally {
                    // a step that failed leaves its node unrealized and gives back what it allocated
                    releaseUnattached(outputs, outMark, !done);
                    unpinFrom(pins, mark);
                    FusedProgram used = ran[0];
                    ran[0] = outer;
                    if (done) {
                        EarlyRelease.afterStep(n, inputs, used);
                    }
                }
            }
        });
    }

    /**
     * Storages that the step running on this thread reads or writes, pinned until it ends: a
     * scope closed meanwhile by another thread cannot give their memory to another tensor (or
     * back to the system) while a kernel still uses it. Only storages of other threads' scopes
     * need it (see {@link Storage#pinIfSharedWithOtherThreads()}).
     */
    private static final ThreadLocal<List<Storage>> STEP_PINS = ThreadLocal.withInitial(ArrayList::new);

    /** The fused program that the step running on this thread evaluated, if any (for {@link EarlyRelease}). */
    private static final ThreadLocal<FusedProgram[]> STEP_PROGRAM = ThreadLocal.withInitial(() -> new FusedProgram[1]);

    /** Outputs allocated by the step running on this thread, given back if it fails before attaching them. */
    private static final ThreadLocal<List<Storage>> STEP_OUTPUTS = ThreadLocal.withInitial(ArrayList::new);

    private static void releaseUnattached(List<Storage> outputs, int mark, boolean failed) {
        for (int i = outputs.size() - 1; i >= mark; i--) {
            Storage s = outputs.remove(i);
            if (failed && !s.isAttached()) {
                s.release();
            }
        }
    }

    /** {@link Node#checkInputsUnwritten} of every node that {@code program} evaluates inline. */
    private static void checkInputsUnwritten(FusedProgram program) {
        FusedChain chain = program.chain();
        for (Node s : chain.steps()) {
            if (!chain.isLeaf(s)) {
                s.checkInputsUnwritten();
            }
        }
    }

    /**
     * Pins the realized nodes that step {@code n} reads: its inputs and, for a fused program, the
     * program's leaves; and checks that those mapped from files still have their pages.
     */
    private static void pinInputs(Node n, FusedProgram program, List<Storage> pins) {
        // a view reads nothing (a reshape that must copy checks then)
        boolean reads = n.op().kind() != Op.Kind.MOVEMENT;
        for (Node in : n.inputs()) {
            pin(in, pins, n, reads);
        }
        if (program != null) {
            for (Node leaf : program.leaves()) {
                pin(leaf, pins, n, true);
            }
        }
    }

    private static void pin(Node n, List<Storage> pins, Node step, boolean reads) {
        Storage s = n.storage();
        if (s != null && reads && s.isMapped()) {
            // a mapped file truncated since is reported here, before any read of a lost page
            s.checkMapped(step.op().name().toLowerCase(java.util.Locale.ROOT));
        }
        pin(n, pins);
    }

    private static void pinLeaves(FusedProgram program, List<Storage> pins) {
        for (Node leaf : program.leaves()) {
            pin(leaf, pins);
        }
    }

    /** Thrown by a step that must be planned again: see {@link Node#touch}. */
    private static final class RetryStep extends RuntimeException {
        final Node node;
        final Node.Touch touch;

        RetryStep(Node node, Node.Touch touch) {
            super(null, null, false, false);
            this.node = node;
            this.touch = touch;
        }
    }

    private static void pin(Node n, List<Storage> pins) {
        Node.Touch t = n.touch();
        if (t != Node.Touch.READABLE) {
            throw new RetryStep(n, t);
        }
        Storage s = n.storage();
        if (s != null && s.pinIfSharedWithOtherThreads()) {
            pins.add(s);
        }
    }

    /**
     * A memory fault in step {@code n} (the JVM reports one as an {@link InternalError}): when the
     * step reads memory mapped from a file, which faults once the file is truncated, an error that
     * names the op and the file; otherwise the fault as it came.
     */
    private static RuntimeException readFault(Node n, Node[] inputs, FusedProgram program, InternalError fault) {
        List<Node> read = new ArrayList<>(List.of(inputs));
        if (program != null) {
            read.addAll(program.leaves());
        }
        for (Node in : read) {
            Storage s = in.storage();
            if (s != null && s.isReadOnly()) {
                return s.readFault(n.op().name().toLowerCase(java.util.Locale.ROOT), fault);
            }
        }
        throw fault;
    }

    private static void unpinFrom(List<Storage> pins, int mark) {
        for (int i = pins.size() - 1; i >= mark; i--) {
            pins.remove(i).unpin();
        }
    }

    private static List<Node> dependencies(Node n, Map<Node, FusedProgram> programs) {
        Node[] in = n.inputs();
        if (n.isRealized()) {
            return List.of(); // by another thread since the walk looked (its inputs may be gone)
        }
        if (FusedChain.isChainOp(n)) {
            return programs.computeIfAbsent(n, FusedProgram::plan).dependencies();
        }
        if (n.op().kind() == Op.Kind.REDUCE && in.length > 0 && FusedProgram.fusible(in[0])) {
            // the reduction consumes its elementwise producer chain tile by tile
            return programs.computeIfAbsent(n, r -> FusedProgram.plan(in[0])).dependencies();
        }
        return List.of(in);
    }

    /** A buffer for {@code n}'s value, owned by the scope that was open when {@code n} was created. */
    private static Storage allocate(Node n) {
        Storage s = Storage.allocateIn(n.scope(), n.shape().numel() * n.dtype().byteSize(), n.op() + " output "
                + n.shape() + " " + n.dtype());
        // written by this step: pinned like its inputs, in case its scope closes meanwhile
        if (s.pinIfSharedWithOtherThreads()) {
            STEP_PINS.get().add(s);
        }
        STEP_OUTPUTS.get().add(s);
        return s;
    }

    /**
     * Registers {@code s}, a leaf's buffer that the step overwrites ({@link EarlyRelease#donor}), as
     * the step's output: pinned like any output when another thread's scope owns it, and its added
     * reference dropped if the step fails (the leaf is then released too: its values are lost).
     */
    private static Storage donated(Storage s) {
        if (s.pinIfSharedWithOtherThreads()) {
            STEP_PINS.get().add(s);
        }
        STEP_OUTPUTS.get().add(s);
        return s;
    }

    private static Storage allocateZeroed(Node n) {
        Storage s = allocate(n);
        Memory.zero(s.address(), s.byteSize());
        return s;
    }

    private static void setContiguous(Node n, Storage s) {
        n.setData(s, 0, n.shape().contiguousStrides());
    }

    private void execute(Node n, FusedProgram program) {
        Op op = n.op();
        switch (op.kind()) {
            case SOURCE -> {
                if (op == Op.CONSTANT) {
                    throw new IllegalStateException("constant node without data: " + n);
                }
                Storage s = allocate(n);
                if (op == Op.FILL) {
                    current(program, n).run(s.address());
                } else {
                    SourceKernels.fill(op, n.attrs(), n.dtype(), n.shape().numel(), s.address());
                }
                setContiguous(n, s);
            }
            case UNARY, BINARY, TERNARY -> {
                FusedProgram p = current(program, n);
                Node donor = EarlyRelease.donor(n, p);
                try {
                    Storage s = donor == null ? allocate(n) : donated(donor.storage());
                    p.run(s.address());
                    setContiguous(n, s);
                } finally {
                    if (donor != null) {
                        // its buffer now holds n's values (or, if the step failed, part of them)
                        donor.releaseData();
                    }
                }
            }
            case REDUCE -> reduce(n, program);
            case MOVEMENT -> view(n);
            case OTHER -> {
                switch (op) {
                    case MATMUL -> {
                        Storage out = allocate(n);
                        MatmulKernel.matmul(n, out);
                        setContiguous(n, out);
                    }
                    case CAT -> cat(n);
                    case SLICE_SCATTER -> sliceScatter(n);
                    case MASKED_SELECT -> masked(n, true);
                    case MASKED_SCATTER -> masked(n, false);
                    default -> throw new IllegalStateException("no CPU kernel for " + op);
                }
            }
        }
    }

    /** The program planned for {@code n}, planned again if part of its chain was realized meanwhile. */
    private static FusedProgram current(FusedProgram program, Node n) {
        if (program != null && !program.isStale()) {
            checkInputsUnwritten(program);
            STEP_PROGRAM.get()[0] = program;
            return program; // its leaves were pinned when the step began
        }
        FusedProgram fresh = FusedProgram.plan(n);
        pinLeaves(fresh, STEP_PINS.get());
        checkInputsUnwritten(fresh);
        STEP_PROGRAM.get()[0] = fresh;
        return fresh;
    }

    // ---- copies ----

    /** Copies the realized {@code src} (broadcast to {@code shape}) through the view {@code dst}. */
    static void copy(Node src, Strided dst, Shape shape) {
        Strided from = Strided.of(src, shape);
        int tile = FusedProgram.TILE;
        Kind k = Kind.of(src.dtype());
        Parallel.forRange(shape.numel(), 4L * tile, tile, (s, e) -> {
            Object t = k.newTile(tile);
            for (long st = s; st < e; st += tile) {
                int len = (int) Math.min(tile, e - st);
                from.load(st, len, t);
                dst.store(st, len, t);
            }
        });
    }

    /** A new contiguous buffer holding {@code src}'s elements in row-major order. */
    static Storage contiguousCopy(Node src) {
        return contiguousCopy(src, MemoryScope.current());
    }

    /** Like {@link #contiguousCopy(Node)}, the copy owned by {@code owner}. */
    static Storage contiguousCopy(Node src, MemoryScope owner) {
        Storage s = Storage.allocateIn(owner, src.shape().numel() * src.dtype().byteSize(), "contiguous copy of "
                + src.op() + " " + src.shape());
        if (s.pinIfSharedWithOtherThreads()) {
            STEP_PINS.get().add(s); // used by the step that made it, until it ends
        }
        copy(src, Strided.contiguous(s.address(), src.dtype(), src.shape()), src.shape());
        return s;
    }

    // ---- views ----

    private static void view(Node n) {
        Node in = n.input(0);
        long[] st = in.strides();
        long off = in.offset();
        switch (n.op()) {
            case RESHAPE -> {
                // a view whenever the layout allows, as PyTorch's reshape (and detach(), the same
                // shape, always): a write through it is seen by the tensor it views
                long[] vs = in.shape().viewStrides(st, n.shape());
                if (vs != null) {
                    n.setData(in.storage().retain(), off, vs);
                } else {
                    in.storage().checkMapped("reshape");
                    n.checkInputsUnwrittenForCopy();
                    setContiguous(n, contiguousCopy(in, n.scope()));
                }
            }
            case PERMUTE -> {
                int[] perm = ((Attrs.Permute) n.attrs()).perm();
                long[] ns = new long[perm.length];
                for (int i = 0; i < perm.length; i++) {
                    ns[i] = st[perm[i]];
                }
                n.setData(in.storage().retain(), off, ns);
            }
            case EXPAND -> {
                Shape out = n.shape();
                int r = out.rank();
                int lead = r - in.shape().rank();
                long[] ns = new long[r];
                for (int i = 0; i < in.shape().rank(); i++) {
                    ns[i + lead] = in.shape().get(i) == 1 && out.get(i + lead) != 1 ? 0 : st[i];
                }
                n.setData(in.storage().retain(), off, ns);
            }
            case SLICE -> {
                Attrs.Slice s = (Attrs.Slice) n.attrs();
                long[] ns = new long[st.length];
                for (int i = 0; i < st.length; i++) {
                    off += s.starts()[i] * st[i];
                    ns[i] = st[i] * s.steps()[i];
                }
                n.setData(in.storage().retain(), off, ns);
            }
            default -> throw new IllegalStateException("not a view: " + n.op());
        }
    }

    // ---- reductions ----

    /**
     * Reduces {@code n}'s input viewed as {@code [A, R, C]}: kept dims before the reduced block,
     * the reduced block, kept dims after it. When the reduced dims are not one block of
     * a contiguous input, the input is iterated with the kept dims first and the reduced dims
     * last ({@code C == 1}). An unrealized elementwise input is never materialized: its chain
     * is evaluated a tile at a time in the order the reduction reads it.
     */
    private static void reduce(Node n, FusedProgram program) {
        Node in = n.input(0);
        boolean fused = !in.isRealized();
        Attrs.Reduce attrs = (Attrs.Reduce) n.attrs();
        int[] dims = attrs.dims();
        long[] shape = in.shape().dims();
        Storage out = allocate(n);
        boolean block = true;
        for (int i = 1; i < dims.length; i++) {
            block &= dims[i] == dims[i - 1] + 1;
        }
        long a = 1;
        long r = 1;
        long c = 1;
        int[] perm = null;
        if (block && (fused || in.isContiguous())) {
            for (int i = 0; i < shape.length; i++) {
                if (i < (dims.length == 0 ? shape.length : dims[0])) {
                    a *= shape[i];
                } else if (dims.length > 0 && i <= dims[dims.length - 1]) {
                    r *= shape[i];
                } else {
                    c *= shape[i];
                }
            }
        } else {
            // kept dims first, reduced dims last
            boolean[] red = new boolean[shape.length];
            for (int d : dims) {
                red[d] = true;
            }
            perm = new int[shape.length];
            int p = 0;
            for (int i = 0; i < shape.length; i++) {
                if (!red[i]) {
                    perm[p++] = i;
                    a *= shape[i];
                }
            }
            for (int i = 0; i < shape.length; i++) {
                if (red[i]) {
                    perm[p++] = i;
                    r *= shape[i];
                }
            }
        }
        reduceInto(n, program, in, fused, out, a, r, c, perm);
        // attached only once computed: a reduction that failed leaves its node unrealized
        if (!n.trySetData(out, 0, n.shape().contiguousStrides())) {
            out.release(); // realized meanwhile with its sibling, by another thread
        }
    }

    /** The body of {@link #reduce}: computes {@code n}'s values (and a pending sibling's) into {@code out}. */
    private static void reduceInto(Node n, FusedProgram program, Node in, boolean fused, Storage out, long a, long r,
            long c, int[] perm) {
        if (a * c == 0) {
            return;
        }
        if (r == 0) {
            Object tile = Kind.of(n.dtype()).newTile(1);
            FusedProgram.fillTile(tile, n.dtype(), n.op() == Op.PROD ? 1 : 0);
            for (long i = 0; i < a * c; i++) {
                Runs.write(n.dtype(), out.address() + i * n.dtype().byteSize(), 0, 1, tile, 0);
            }
            return;
        }
        TileSource source;
        if (fused) {
            FusedProgram p = current(program, in);
            source = TileSource.of(p, p.layout(perm));
        } else {
            source = TileSource.of(Strided.permuted(in.address(), in.dtype(), in.shape(), in.strides(),
                    in.shape(), perm));
        }
        Node sibling = n.pendingSibling();
        if (sibling != null && sibling.input(0) == in && isExtremeWithIndex(n) && isExtremeWithIndex(sibling)) {
            // max(dim)/min(dim): values and indices from one pass over the input
            boolean arg = n.op() == Op.ARGMAX || n.op() == Op.ARGMIN;
            Storage other = allocate(sibling);
            ReduceKernels.argReduce(n.op() == Op.ARGMAX || n.op() == Op.MAX, source, a, r, c,
                    arg ? out.address() : other.address(), arg ? other.address() : out.address());
            if (!sibling.trySetData(other, 0, sibling.shape().contiguousStrides())) {
                other.release();
            }
            return;
        }
        ReduceKernels.reduce(n.op(), source, a, r, c, n.dtype(), out.address());
    }

    /** The values (MAX/MIN of {@code max(dim)}) or the indices (ARGMAX/ARGMIN) of an extreme along a dim. */
    private static boolean isExtremeWithIndex(Node n) {
        return switch (n.op()) {
            case ARGMAX, ARGMIN -> true;
            case MAX, MIN -> ((Attrs.Reduce) n.attrs()).toFirstIndex();
            default -> false;
        };
    }

    // ---- joins and scatters ----

    private static void cat(Node n) {
        Storage out = allocate(n);
        int dim = ((Attrs.Cat) n.attrs()).dim();
        long[] strides = n.shape().contiguousStrides();
        long at = 0;
        for (Node in : n.inputs()) {
            long base = out.address() + at * strides[dim] * n.dtype().byteSize();
            copy(in, Strided.broadcast(base, n.dtype(), in.shape(), strides, in.shape()), in.shape());
            at += in.shape().get(dim);
        }
        setContiguous(n, out);
    }

    private static void sliceScatter(Node n) {
        Node in = n.input(0);
        Storage out = allocateZeroed(n);
        Attrs.Slice s = (Attrs.Slice) n.attrs();
        long[] full = n.shape().contiguousStrides();
        long off = 0;
        long[] st = new long[full.length];
        for (int i = 0; i < full.length; i++) {
            off += s.starts()[i] * full[i];
            st[i] = full[i] * s.steps()[i];
        }
        copy(in, Strided.broadcast(out.address() + off * n.dtype().byteSize(), n.dtype(), in.shape(), st,
                in.shape()), in.shape());
        setContiguous(n, out);
    }

    private static void masked(Node n, boolean select) {
        Node mask = n.input(1);
        Node values = n.input(0);
        Shape iter = mask.shape();
        Strided m = Strided.of(mask, iter);
        Storage out;
        if (select) {
            out = allocate(n);
        } else {
            out = allocateZeroed(n);
        }
        int tile = FusedProgram.TILE;
        Kind k = Kind.of(n.dtype());
        Strided data = select ? Strided.of(values, iter) : Strided.contiguous(out.address(), n.dtype(), iter);
        Strided packed = select ? Strided.contiguous(out.address(), n.dtype(), n.shape())
                : Strided.of(values, values.shape());
        long[] mt = new long[tile];
        Object dt = k.newTile(tile);
        Object pt = k.newTile(tile);
        // the packed side's size was fixed from the mask's count when the op was called; memory shared
        // outside the engine (fromBuffer, asByteBuffer, an Arrow vector) can change the mask since, and
        // packing more or fewer values than that would write or read past the buffer
        long packedSize = select ? n.shape().numel() : values.shape().numel();
        long count = 0;
        for (long s = 0; s < iter.numel(); s += tile) {
            int len = (int) Math.min(tile, iter.numel() - s);
            m.load(s, len, mt);
            int hits = 0;
            for (int i = 0; i < len; i++) {
                hits += mt[i] != 0 ? 1 : 0;
            }
            if (hits == 0) {
                continue;
            }
            if (count + hits > packedSize) {
                throw maskChanged(n, select, packedSize, "more than");
            }
            if (select) {
                data.load(s, len, dt);
                int j = 0;
                for (int i = 0; i < len; i++) {
                    if (mt[i] != 0) {
                        System.arraycopy(dt, i, pt, j++, 1);
                    }
                }
                packed.store(count, hits, pt);
            } else {
                packed.load(count, hits, pt);
                data.load(s, len, dt);
                int j = 0;
                for (int i = 0; i < len; i++) {
                    if (mt[i] != 0) {
                        System.arraycopy(pt, j++, dt, i, 1);
                    }
                }
                data.store(s, len, dt);
            }
            count += hits;
        }
        if (count != packedSize) {
            throw maskChanged(n, select, packedSize, count + ", fewer than");
        }
        setContiguous(n, out);
    }

    private static IllegalStateException maskChanged(Node n, boolean select, long packedSize, String found) {
        return new IllegalStateException((select ? "masked_select " : "masked_scatter ") + n.shape() + ": the mask "
                + n.input(1).shape() + " holds " + found + " the " + packedSize + " true elements it held when the op"
                + " was called (its memory was written since, through memory shared outside the engine: a buffer"
                + " given to fromBuffer, asByteBuffer() or an Arrow vector); realize the selection before such a write,"
                + " or select again after it");
    }


}

package org.tessera.backend.cuda;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.backend.Backend;
import org.tessera.backend.FusedChain;
import org.tessera.backend.Realizer;
import org.tessera.backend.Backends;
import org.tessera.graph.Attrs;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;

/**
 * Realizes graphs on CUDA devices: fused elementwise kernels, reductions, strided copies,
 * masked selection and matmul (cuBLAS or the own GEMM), on device memory from a pool.
 *
 * <p>A realized node holds a {@link CudaData} (a strided view of a device buffer) as its
 * remote handle; views (reshape, permute, expand, slice) share the buffer. Work is queued on
 * the device's default stream under the device lock; reading values back synchronizes.
 * Creating the backend never touches the driver: {@link #isAvailable} probes it once and
 * {@link #unavailableReason} says what is missing.
 */
public final class CudaBackend implements Backend {
    private volatile MatmulKernel.Impl matmulImpl = MatmulKernel.Impl.AUTO;

    @Override
    public String deviceType() {
        return "cuda";
    }

    @Override
    public boolean isAvailable(Device device) {
        return Cuda.unavailableReason(device) == null;
    }

    @Override
    public String unavailableReason(Device device) {
        return Cuda.unavailableReason(device);
    }

    /** Forces cuBLAS or the own GEMM kernel for matmul (for benchmarks and tests); AUTO by default. */
    void setMatmulImpl(MatmulKernel.Impl impl) {
        this.matmulImpl = impl;
    }

    /** The data of a node this backend realized. */
    static CudaData data(Node n) {
        if (n.remote() instanceof CudaData d) {
            if (d.hold().isFreed()) {
                throw new IllegalStateException("cuda: node " + n + " on " + n.device() + " was freed (Backend.free)"
                        + " and cannot be read");
            }
            return d;
        }
        throw new IllegalStateException("cuda: node " + n + " on " + n.device() + " holds no device data");
    }

    private static void attach(Node n, CudaData d) {
        n.setRemote(d);
        d.hold().set(d.buffer().releaseWhenUnreachable(n));
    }

    /**
     * Drops the node's reference on its device buffer now; the buffer returns to the pool when
     * no other view holds it. The node must not be read afterwards (reading it fails).
     */
    @Override
    public void free(Node node) {
        if (node.remote() instanceof CudaData d) {
            d.hold().free();
        }
    }

    private static CudaData contiguous(DeviceBuffer b, Shape s) {
        return new CudaData(b, 0, s.contiguousStrides());
    }

    @Override
    public void realize(Node target) {
        if (target.isRealized()) {
            return;
        }
        CudaContext ctx = Cuda.context(target.device());
        ctx.lock().lock();
        try {
            ctx.enter();
            realizeLocked(ctx, target);
        } finally {
            ctx.lock().unlock();
        }
    }

    private void realizeLocked(CudaContext ctx, Node target) {
        Map<Node, FusedKernel> programs = new IdentityHashMap<>();
        Realizer.realize(target, new Realizer.Steps() {
            @Override
            public List<Node> dependencies(Node n) {
                return CudaBackend.dependencies(n, programs);
            }

            @Override
            public void execute(Node n) {
                FusedKernel k = programs.remove(n);
                CudaBackend.this.execute(ctx, n, k == null || k.isStale() ? null : k);
            }
        });
    }

    private static List<Node> dependencies(Node n, Map<Node, FusedKernel> programs) {
        if (FusedChain.isChainOp(n)) {
            return programs.computeIfAbsent(n, FusedKernel::plan).dependencies();
        }
        return List.of(n.inputs());
    }

    private static DeviceBuffer allocate(CudaContext ctx, Node n) {
        return ctx.allocate(n.shape().numel() * n.dtype().byteSize(), n.op() + " output " + n.shape() + " "
                + n.dtype());
    }

    private void execute(CudaContext ctx, Node n, FusedKernel program) {
        Op op = n.op();
        if (op.isElementwise() || op == Op.FILL) {
            DeviceBuffer out = allocate(ctx, n);
            (program != null ? program : FusedKernel.plan(n)).run(ctx, out.address(), CudaBackend::data);
            attach(n, contiguous(out, n.shape()));
            return;
        }
        switch (op.kind()) {
            case SOURCE -> {
                if (op == Op.CONSTANT) {
                    throw new IllegalStateException("constant node without data: " + n);
                }
                // arange and random sources are computed on the host (bit-identical to the CPU) and uploaded
                Node host = new Node(op, n.shape(), n.dtype(), Device.CPU, n.attrs());
                Backends.forDevice(Device.CPU).realize(host);
                attach(n, upload(ctx, host));
            }
            case REDUCE -> {
                DeviceBuffer out = allocate(ctx, n);
                ReduceKernel.reduce(ctx, n, data(n.input(0)), out.address());
                attach(n, contiguous(out, n.shape()));
            }
            case MOVEMENT -> view(ctx, n);
            default -> {
                switch (op) {
                    case MATMUL -> {
                        DeviceBuffer out = allocate(ctx, n);
                        MatmulKernel.matmul(ctx, n, data(n.input(0)), data(n.input(1)), out.address(), matmulImpl);
                        attach(n, contiguous(out, n.shape()));
                    }
                    case CAT -> cat(ctx, n);
                    case SLICE_SCATTER -> sliceScatter(ctx, n);
                    case MASKED_SELECT, MASKED_SCATTER -> {
                        DeviceBuffer out = allocate(ctx, n);
                        MaskedKernel.run(ctx, n, op == Op.MASKED_SELECT, data(n.input(0)), data(n.input(1)),
                                out.address());
                        attach(n, contiguous(out, n.shape()));
                    }
                    default -> throw new IllegalStateException("no CUDA kernel for " + op);
                }
            }
        }
    }

    // ---- views and copies ----

    /** A contiguous device copy of a realized node's elements. */
    private static DeviceBuffer contiguousCopy(CudaContext ctx, Node src) {
        CudaData d = data(src);
        DeviceBuffer b = ctx.allocate(src.shape().numel() * src.dtype().byteSize(), "contiguous copy of "
                + src.op() + " " + src.shape());
        CopyKernel.copy(ctx, src.dtype(), src.shape(), d.address(src.dtype()), d.strides(), b.address(),
                src.shape().contiguousStrides());
        return b;
    }

    private static void view(CudaContext ctx, Node n) {
        Node in = n.input(0);
        CudaData d = data(in);
        long[] st = d.strides();
        long off = d.offset();
        switch (n.op()) {
            case RESHAPE -> {
                long[] vs = in.shape().viewStrides(st, n.shape()); // a view whenever the layout allows
                if (vs != null) {
                    attach(n, new CudaData(d.buffer().retain(), off, vs));
                } else {
                    n.checkInputsUnwrittenForCopy();
                    attach(n, contiguous(contiguousCopy(ctx, in), n.shape()));
                }
            }
            case PERMUTE -> {
                int[] perm = ((Attrs.Permute) n.attrs()).perm();
                long[] ns = new long[perm.length];
                for (int i = 0; i < perm.length; i++) {
                    ns[i] = st[perm[i]];
                }
                attach(n, new CudaData(d.buffer().retain(), off, ns));
            }
            case EXPAND -> attach(n, new CudaData(d.buffer().retain(), off,
                    Geometry.broadcastStrides(in.shape(), st, n.shape())));
            case SLICE -> {
                Attrs.Slice s = (Attrs.Slice) n.attrs();
                long[] ns = new long[st.length];
                for (int i = 0; i < st.length; i++) {
                    off += s.starts()[i] * st[i];
                    ns[i] = st[i] * s.steps()[i];
                }
                attach(n, new CudaData(d.buffer().retain(), off, ns));
            }
            default -> throw new IllegalStateException("not a view: " + n.op());
        }
    }

    private static void cat(CudaContext ctx, Node n) {
        DeviceBuffer out = allocate(ctx, n);
        int dim = ((Attrs.Cat) n.attrs()).dim();
        long[] strides = n.shape().contiguousStrides();
        int es = n.dtype().byteSize();
        long at = 0;
        for (Node in : n.inputs()) {
            CudaData d = data(in);
            CopyKernel.copy(ctx, n.dtype(), in.shape(), d.address(in.dtype()), d.strides(),
                    out.address() + at * strides[dim] * es, strides);
            at += in.shape().get(dim);
        }
        attach(n, contiguous(out, n.shape()));
    }

    private static void sliceScatter(CudaContext ctx, Node n) {
        Node in = n.input(0);
        DeviceBuffer out = allocate(ctx, n);
        ctx.zero(out.address(), n.shape().numel() * n.dtype().byteSize());
        Attrs.Slice s = (Attrs.Slice) n.attrs();
        long[] full = n.shape().contiguousStrides();
        long off = 0;
        long[] st = new long[full.length];
        for (int i = 0; i < full.length; i++) {
            off += s.starts()[i] * full[i];
            st[i] = full[i] * s.steps()[i];
        }
        CudaData d = data(in);
        CopyKernel.copy(ctx, n.dtype(), in.shape(), d.address(in.dtype()), d.strides(),
                out.address() + off * n.dtype().byteSize(), st);
        attach(n, contiguous(out, n.shape()));
    }

    // ---- host transfers ----

    /** Copies a realized CPU node to a new contiguous device buffer. */
    private static CudaData upload(CudaContext ctx, Node host) {
        Node src = host.storage() != null && host.isContiguous() ? host : Tensor.of(host).contiguous().node();
        long bytes = src.shape().numel() * src.dtype().byteSize();
        DeviceBuffer b = ctx.allocate(bytes, "copy of " + src.shape() + " " + src.dtype() + " from the host");
        if (bytes > 0) {
            // pinned while copied: a scope closed meanwhile by another thread frees the memory afterwards
            Storage pinned = src.storage().pin();
            try {
                pinned.checkMapped("to(cuda)"); // the copy reads natively: a truncated mapped file would stop the JVM
                ctx.copyHostToDevice(b.address(), src.address(), bytes);
            } finally {
                pinned.unpin();
            }
        }
        return contiguous(b, src.shape());
    }

    @Override
    public Node fromHost(Node hostNode, Device device) {
        CudaContext ctx = Cuda.context(device);
        Tensor.of(hostNode).realize();
        ctx.lock().lock();
        try {
            ctx.enter();
            Node n = new Node(Op.CONSTANT, hostNode.shape(), hostNode.dtype(), device, null);
            attach(n, upload(ctx, hostNode));
            return n;
        } finally {
            ctx.lock().unlock();
        }
    }

    @Override
    public Node toHost(Node node) {
        realize(node);
        CudaContext ctx = Cuda.context(node.device());
        Shape shape = node.shape();
        DType t = node.dtype();
        long bytes = shape.numel() * t.byteSize();
        Storage s = Storage.allocate(bytes, "copy of " + shape + " " + t + " from " + node.device());
        ctx.lock().lock();
        try {
            ctx.enter();
            CudaData d = data(node);
            if (bytes > 0) {
                if (d.isContiguous(shape)) {
                    ctx.copyDeviceToHost(s.address(), d.address(t), bytes);
                } else {
                    DeviceBuffer tmp = contiguousCopy(ctx, node);
                    try {
                        ctx.copyDeviceToHost(s.address(), tmp.address(), bytes);
                    } finally {
                        tmp.release();
                    }
                }
            }
        } catch (RuntimeException e) {
            s.release();
            throw e;
        } finally {
            ctx.lock().unlock();
        }
        return Creation.fromStorage(s, shape, t, 0, shape.contiguousStrides()).node();
    }
}

package org.tessera.backend.cuda;

import java.util.Locale;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.graph.Attrs;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * Reductions on CUDA (reduce.cuh): the input is viewed as a contiguous {@code [A, R, C]} with
 * the reduced dims in the middle, staged by a copy when its layout does not allow that; few
 * outputs over long runs are staged with the reduced dims last, so that blocks split the runs.
 */
final class ReduceKernel {
    private static final int THREADS = 256;

    private ReduceKernel() {
    }

    static void reduce(CudaContext ctx, Node n, CudaData in, long out) {
        Node x = n.input(0);
        int[] dims = ((Attrs.Reduce) n.attrs()).dims();
        long[] shape = x.shape().dims();
        boolean[] red = new boolean[shape.length];
        for (int d : dims) {
            red[d] = true;
        }
        boolean all = dims.length == 0 || dims.length == shape.length;
        long a = 1;
        long r = 1;
        long c = 1;
        boolean block = true;
        for (int i = 1; i < dims.length; i++) {
            block &= dims[i] == dims[i - 1] + 1;
        }
        for (int i = 0; i < shape.length; i++) {
            if (all || red[i]) {
                r *= shape[i];
            } else if (dims.length > 0 && i < dims[0]) {
                a *= shape[i];
            } else {
                c *= shape[i];
            }
        }
        if (all) {
            a = 1;
            c = 1;
        }
        if (a * c == 0) {
            return;
        }
        if (r == 0) {
            fillIdentity(ctx, n, out);
            return;
        }
        boolean fewLongRuns = c > 1 && a * c < 8192 && r >= 64;
        DeviceBuffer staged = null;
        long src = in.address(x.dtype());
        try {
            if (!block || !in.isContiguous(x.shape()) || fewLongRuns) {
                // kept dims first, reduced dims last, as one contiguous copy
                int[] perm = new int[shape.length];
                int p = 0;
                for (int i = 0; i < shape.length; i++) {
                    if (!(all || red[i])) {
                        perm[p++] = i;
                    }
                }
                for (int i = 0; i < shape.length; i++) {
                    if (all || red[i]) {
                        perm[p++] = i;
                    }
                }
                long[] ps = new long[shape.length];
                long[] pst = new long[shape.length];
                for (int i = 0; i < perm.length; i++) {
                    ps[i] = shape[perm[i]];
                    pst[i] = in.strides()[perm[i]];
                }
                Shape permuted = Shape.of(ps);
                staged = ctx.allocate(permuted.numel() * x.dtype().byteSize(), "reduction staging " + x.shape());
                CopyKernel.copy(ctx, x.dtype(), permuted, src, pst, staged.address(), permuted.contiguousStrides());
                src = staged.address();
                a = a * c;
                c = 1;
            }
            if (n.op() == Op.ARGMAX || n.op() == Op.ARGMIN) {
                arg(ctx, n.op() == Op.ARGMAX, x.dtype(), src, a, r, c, out);
            } else {
                run(ctx, n.op(), x.dtype(), src, a, r, c, n.dtype(), out);
            }
        } finally {
            if (staged != null) {
                staged.release();
            }
        }
    }

    /** The accumulator of a reduction: float64 for float sums and products, else the input's kind. */
    static DType accumulator(Op op, DType in) {
        if (in.isFloatingPoint()) {
            return (op == Op.SUM || op == Op.PROD) ? DType.FLOAT64 : in;
        }
        return DType.INT64;
    }

    static String kernel(String shape, Op op, DType acc) {
        String suffix = acc == DType.FLOAT32 ? "f32" : acc == DType.FLOAT64 ? "f64" : "i64";
        return "ts_reduce_" + shape + "_" + op.name().toLowerCase(Locale.ROOT) + "_" + suffix;
    }

    private static void run(CudaContext ctx, Op op, DType in, long src, long a, long r, long c, DType outType,
                            long out) {
        DType acc = accumulator(op, in);
        if (c > 1) {
            ctx.launch(kernel("outer", op, acc), ctx.gridFor(a * c, THREADS), 1, 1, THREADS, new KernelArgs()
                    .ptr(src).i32(in.ordinal()).i64(a).i64(r).i64(c).ptr(out).i32(outType.ordinal()));
            return;
        }
        long sms = ctx.multiprocessors();
        long segs = 1;
        if (a < 2 * sms && r >= 16L * THREADS) {
            segs = Math.max(1, Math.min((r + 4095) / 4096, Math.max(1, 4 * sms / a)));
        }
        if (segs == 1) {
            inner(ctx, op, acc, src, in, a, r, 1, r, out, outType);
            return;
        }
        long segLen = (r + segs - 1) / segs;
        segs = (r + segLen - 1) / segLen;
        DeviceBuffer partial = ctx.allocate(a * segs * acc.byteSize(), "reduction partials");
        try {
            inner(ctx, op, acc, src, in, a, r, segs, segLen, partial.address(), acc);
            inner(ctx, op, acc, partial.address(), acc, a, segs, 1, segs, out, outType);
        } finally {
            partial.release();
        }
    }

    private static void inner(CudaContext ctx, Op op, DType acc, long src, DType in, long rows, long r, long segs,
                              long segLen, long out, DType outType) {
        long blocks = Math.min(rows * segs, 1L << 20);
        ctx.launch(kernel("inner", op, acc), blocks, 1, 1, THREADS, new KernelArgs().ptr(src).i32(in.ordinal())
                .i64(rows).i64(r).i64(segs).i64(segLen).ptr(out).i32(outType.ordinal()));
    }

    private static void arg(CudaContext ctx, boolean max, DType in, long src, long a, long r, long c, long out) {
        String v = in.isFloatingPoint() ? "f64" : "i64";
        String name = (max ? "max_" : "min_") + v;
        if (c > 1) {
            ctx.launch("ts_arg_outer_" + name, ctx.gridFor(a * c, THREADS), 1, 1, THREADS, new KernelArgs()
                    .ptr(src).i32(in.ordinal()).i64(a).i64(r).i64(c).ptr(out));
        } else {
            ctx.launch("ts_arg_inner_" + name, Math.min(a, 1L << 20), 1, 1, THREADS, new KernelArgs()
                    .ptr(src).i32(in.ordinal()).i64(a).i64(r).ptr(out));
        }
    }

    /** An empty reduction: the identity (0 for sums, 1 for products) everywhere. */
    private static void fillIdentity(CudaContext ctx, Node n, long out) {
        Node fill = new Node(Op.FILL, n.shape(), n.dtype(), n.device(),
                new Attrs.Fill(n.op() == Op.PROD ? (Number) 1 : (Number) 0));
        FusedKernel.plan(fill).run(ctx, out, l -> {
            throw new IllegalStateException("a fill has no inputs");
        });
    }
}

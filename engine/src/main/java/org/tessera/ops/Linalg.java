package org.tessera.ops;

import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Graph;
import org.tessera.graph.Op;

/** {@code matmul} with PyTorch's 1-D, 2-D and batched semantics, on one batched primitive. */
public final class Linalg {
    private Linalg() {
    }

    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension; got "
                    + a.shape() + " @ " + b.shape());
        }
        DType type = Promotion.resultType(a, b);
        if (type == DType.BOOL) {
            throw new IllegalArgumentException("matmul: not supported for bool tensors");
        }
        long k = a.shape().get(-1);
        long kb = b.dim() == 1 ? b.shape().get(0) : b.shape().get(-2);
        if (k != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + a.shape() + " @ " + b.shape()
                    + "; expected the last dim of the left (" + k + ") to equal the "
                    + (b.dim() == 1 ? "only" : "second-to-last") + " dim of the right (" + kb + ")");
        }
        Tensor x = Elementwise.cast(a, type);
        Tensor y = Elementwise.cast(b, type);
        boolean aVec = x.dim() == 1;
        boolean bVec = y.dim() == 1;
        if (aVec) {
            x = Movement.unsqueeze(x, 0);
        }
        if (bVec) {
            y = Movement.unsqueeze(y, 1);
        }
        long m = x.shape().get(-2);
        long n = y.shape().get(-1);
        Tensor result;
        if (y.dim() == 2) {
            // fold every batch dim of the left into its rows: one GEMM, no copies
            long[] outDims = x.shape().dims();
            outDims[outDims.length - 1] = n;
            Tensor x3 = Movement.reshape(x, 1, rowsOf(x.shape()), k);
            Tensor y3 = Movement.unsqueeze(y, 0);
            result = Movement.reshape(primitive(x3, y3), outDims);
        } else {
            // broadcast batch dims, then one batched primitive
            long[] ab = batch(x.shape());
            long[] bb = batch(y.shape());
            Shape batch = Shape.broadcast("matmul", Shape.of(ab), Shape.of(bb));
            long[] bd = batch.dims();
            long[] xe = concat(bd, m, k);
            long[] ye = concat(bd, k, n);
            Tensor x3 = Movement.reshape(Movement.expand(x, xe), batch.numel(), m, k);
            Tensor y3 = Movement.reshape(Movement.expand(y, ye), batch.numel(), k, n);
            result = Movement.reshape(primitive(x3, y3), concat(bd, m, n));
        }
        if (aVec) {
            result = Movement.squeeze(result, -2);
        }
        if (bVec) {
            result = Movement.squeeze(result, -1);
        }
        return result;
    }

    private static long rowsOf(Shape s) {
        long r = 1;
        for (int i = 0; i < s.rank() - 1; i++) {
            r *= s.get(i);
        }
        return r;
    }

    private static long[] batch(Shape s) {
        long[] d = s.dims();
        return java.util.Arrays.copyOf(d, d.length - 2);
    }

    private static long[] concat(long[] head, long p, long q) {
        long[] r = java.util.Arrays.copyOf(head, head.length + 2);
        r[head.length] = p;
        r[head.length + 1] = q;
        return r;
    }

    /** {@code [B, M, K] @ [B, K, N]} as one node. */
    public static Tensor primitive(Tensor x3, Tensor y3) {
        Shape s = Shape.of(x3.shape().get(0), x3.shape().get(1), y3.shape().get(2));
        return Tensor.of(Graph.node(Op.MATMUL, s, x3.dtype(), null, x3.node(), y3.node()));
    }
}

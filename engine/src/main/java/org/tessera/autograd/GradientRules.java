package org.tessera.autograd;

import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.ops.Indexing;
import org.tessera.ops.Linalg;
import org.tessera.ops.Movement;

/**
 * One gradient rule per differentiable primitive, written with tensor ops. Given a node and
 * the gradient of the loss with respect to it, returns the gradient for each input (null
 * where none flows). Composite ops (mean, sigmoid, softmax, …) need no rule of their own.
 */
public final class GradientRules {
    private GradientRules() {
    }

    static Tensor[] apply(Node n, Tensor g) {
        Node[] in = n.inputs();
        Tensor x = in.length > 0 ? Tensor.of(in[0]) : null;
        Tensor y = in.length > 1 ? Tensor.of(in[1]) : null;
        Tensor out = Tensor.of(n);
        return switch (n.op()) {
            case NEG -> one(g.neg());
            case EXP -> one(g.mul(out));
            case LOG -> one(g.div(x));
            case SQRT -> one(g.div(out.mul(2)));
            case ABS -> one(g.mul(x.sign()));
            case SIGN -> one(Tessera.zerosLike(g)); // flat everywhere, as PyTorch's rule says (0 also at 0)
            case TANH -> one(g.mul(Tessera.onesLike(out).sub(out.mul(out))));
            case SIN -> one(g.mul(x.cos()));
            case COS -> one(g.mul(x.sin()).neg());
            case CAST -> one(x.dtype().isFloatingPoint() ? g.to(x.dtype()) : null);
            case ADD -> two(sumTo(g, x.shape()), sumTo(g, y.shape()));
            case SUB -> two(sumTo(g, x.shape()), sumTo(g.neg(), y.shape()));
            case MUL -> two(sumTo(g.mul(y), x.shape()), sumTo(g.mul(x), y.shape()));
            case DIV -> two(sumTo(g.div(y), x.shape()), sumTo(g.mul(out).div(y).neg(), y.shape()));
            // d/dx x^y = y x^(y-1), which PyTorch takes as 0 where y is 0 (not 0 * x^-1, NaN at x = 0)
            case POW -> two(sumTo(Tessera.where(y.eq(0), 0, g.mul(y).mul(x.pow(y.sub(1)))), x.shape()),
                    y.requiresGrad() ? sumTo(Tessera.where(x.eq(0).logicalAnd(y.ge(0)), 0,
                            g.mul(out).mul(x.log())), y.shape()) : null);
            case MAXIMUM, MINIMUM -> {
                // PyTorch's rule: ties share the gradient, the side that loses gets 0, and where a
                // NaN makes both comparisons false, both sides get all of it
                boolean max = n.op() == Op.MAXIMUM;
                Tensor shared = Tessera.where(x.eq(y), g.mul(0.5), g);
                yield two(sumTo(Tessera.where(max ? x.lt(y) : x.gt(y), 0, shared), x.shape()),
                        sumTo(Tessera.where(max ? x.gt(y) : x.lt(y), 0, shared), y.shape()));
            }
            case WHERE -> {
                Tensor c = x;
                Tensor a = y;
                Tensor b = Tensor.of(in[2]);
                yield new Tensor[] {null, sumTo(Tessera.where(c, g, 0), a.shape()),
                        sumTo(Tessera.where(c, 0, g), b.shape())};
            }
            case SUM -> one(expandBack(g, n, x.shape()));
            case PROD -> one(prodGrad(g, n, x, out));
            case MAX, MIN -> {
                Attrs.Reduce r = (Attrs.Reduce) n.attrs();
                if (r.toFirstIndex() && x.dim() == 0) {
                    yield one(keep(g, n, x.shape())); // max(0) of a 0-d tensor is the tensor itself
                }
                if (r.toFirstIndex()) {
                    // max(dim): all of the gradient to the index that argmax returns (selected, not
                    // multiplied, so an infinite gradient leaves the other positions at 0)
                    int dim = r.dims()[0];
                    Tensor idx = x.detach().argmax(dim, true);
                    if (n.op() == Op.MIN) {
                        idx = x.detach().argmin(dim, true);
                    }
                    long[] along = new long[x.dim()];
                    java.util.Arrays.fill(along, 1);
                    along[dim] = x.shape().get(dim);
                    Tensor positions = Tessera.arange(0L, x.shape().get(dim), 1L).reshape(along);
                    Tensor hit = positions.eq(idx);
                    yield one(Tessera.where(hit, keep(g, n, x.shape()), 0));
                }
                Tensor outK = keep(out, n, x.shape());
                Tensor hit = x.eq(outK);
                int[] dims = ((Attrs.Reduce) n.attrs()).dims();
                Tensor count = hit.to(g.dtype()).sum(dims, true);
                // ties share the gradient evenly; positions not selected get 0 even when it is infinite
                yield one(Tessera.where(hit, keep(g, n, x.shape()).div(count), 0));
            }
            case RESHAPE -> one(g.reshape(x.shape().dims()));
            case PERMUTE -> {
                int[] p = ((Attrs.Permute) n.attrs()).perm();
                int[] inv = new int[p.length];
                for (int i = 0; i < p.length; i++) {
                    inv[p[i]] = i;
                }
                yield one(g.permute(inv));
            }
            case EXPAND -> one(sumTo(g, x.shape()));
            case SLICE -> {
                Attrs.Slice s = (Attrs.Slice) n.attrs();
                yield one(Movement.sliceScatter(g, x.shape(), s.starts(), s.steps()));
            }
            case SLICE_SCATTER -> {
                Attrs.Slice s = (Attrs.Slice) n.attrs();
                yield one(Tensor.of(Graph.node(Op.SLICE, x.shape(), g.dtype(), s, g.node())));
            }
            case CAT -> {
                int dim = ((Attrs.Cat) n.attrs()).dim();
                Tensor[] r = new Tensor[in.length];
                long at = 0;
                for (int i = 0; i < in.length; i++) {
                    long len = in[i].shape().get(dim);
                    r[i] = g.slice(dim, at, at + len, 1);
                    at += len;
                }
                yield r;
            }
            case MATMUL -> two(Linalg.primitive(g, y.transpose(1, 2)), Linalg.primitive(x.transpose(1, 2), g));
            case MASKED_SELECT -> new Tensor[] {Indexing.maskedScatter(g, y), null};
            case MASKED_SCATTER -> new Tensor[] {
                Tensor.of(Graph.node(Op.MASKED_SELECT, x.shape(), g.dtype(), null, g.node(), y.node())), null};
            default -> throw new IllegalStateException("no gradient rule for " + n.op());
        };
    }

    /**
     * Fails when a value that {@code n}'s gradient rule reads (an input, or the node's own output)
     * was written in place ({@code Tensor.set}, through any tensor sharing its memory) after the
     * forward op used it: the gradient would be computed from the new values. PyTorch saves those
     * tensors with a version counter and fails the same way ("modified by an inplace operation").
     * Inputs not yet computed need no check here: computing them later fails on the write
     * ({@link Node#checkInputsUnwritten}).
     */
    static void checkSavedUnwritten(Node n) {
        Node[] in = n.inputs();
        switch (n.op()) {
            case LOG, ABS, SIN, COS -> checkInput(n, 0);
            case EXP, SQRT, TANH -> checkOutput(n);
            case MUL, MATMUL -> {
                // d/dx reads y, d/dy reads x
                if (in[0].requiresGrad()) {
                    checkInput(n, 1);
                }
                if (in[1].requiresGrad()) {
                    checkInput(n, 0);
                }
            }
            case DIV -> {
                checkInput(n, 1);
                if (in[1].requiresGrad()) {
                    checkOutput(n);
                }
            }
            case POW -> {
                checkInput(n, 0);
                checkInput(n, 1);
                if (in[1].requiresGrad()) {
                    checkOutput(n);
                }
            }
            case MAXIMUM, MINIMUM -> {
                checkInput(n, 0);
                checkInput(n, 1);
            }
            case WHERE, MASKED_SELECT, MASKED_SCATTER -> checkInput(n, n.op() == Op.WHERE ? 0 : 1);
            case PROD, MAX, MIN -> {
                checkInput(n, 0);
                if (!(n.attrs() instanceof Attrs.Reduce r && r.toFirstIndex())) {
                    checkOutput(n);
                }
            }
            default -> {
            }
        }
    }

    private static void checkInput(Node n, int i) {
        if (n.inputWritten(i)) {
            throw written(n, "its input " + i + " (shape " + n.inputs()[i].shape() + ")");
        }
    }

    private static void checkOutput(Node n) {
        if (n.writtenSinceComputed()) {
            throw written(n, "its result");
        }
    }

    private static IllegalStateException written(Node n, String what) {
        return new IllegalStateException("backward: the gradient of " + n.op().name().toLowerCase(java.util.Locale.ROOT)
                + " " + n.shape() + " reads " + what + ", which was written in place (set) after the op used it,"
                + " so it would be computed from the new values; PyTorch fails the same way (\"modified by an inplace"
                + " operation\"). Write into a copy (t.mul(1)) instead, or before the op");
    }

    private static Tensor[] one(Tensor a) {
        return new Tensor[] {a};
    }

    private static Tensor[] two(Tensor a, Tensor b) {
        return new Tensor[] {a, b};
    }

    /** Sums a broadcast gradient back to {@code shape}. */
    public static Tensor sumTo(Tensor g, Shape shape) {
        if (g.shape().equals(shape)) {
            return g;
        }
        int lead = g.dim() - shape.rank();
        java.util.List<Integer> dims = new java.util.ArrayList<>();
        for (int i = 0; i < g.dim(); i++) {
            if (i < lead || (shape.get(i - lead) == 1 && g.shape().get(i) != 1)) {
                dims.add(i);
            }
        }
        Tensor s = dims.isEmpty() ? g : g.sum(dims.stream().mapToInt(Integer::intValue).toArray(), true);
        return s.reshape(shape.dims());
    }

    /** The reduced tensor with its reduced dims restored as size 1. */
    private static Tensor keep(Tensor t, Node n, Shape inShape) {
        Attrs.Reduce r = (Attrs.Reduce) n.attrs();
        if (r.keepDim()) {
            return t;
        }
        long[] dims = inShape.dims();
        for (int d : r.dims()) {
            dims[d] = 1;
        }
        return t.reshape(dims);
    }

    private static Tensor expandBack(Tensor g, Node n, Shape inShape) {
        return keep(g, n, inShape).expand(inShape.dims());
    }

    /** Product rule that stays exact when the input holds zeros. */
    private static Tensor prodGrad(Tensor g, Node n, Tensor x, Tensor out) {
        int[] dims = ((Attrs.Reduce) n.attrs()).dims();
        Tensor gk = keep(g, n, x.shape());
        Tensor outK = keep(out, n, x.shape());
        Tensor zeros = x.eq(0);
        Tensor zeroCount = zeros.to(DType.INT64).sum(dims, true);
        Tensor othersIfOneZero = Tessera.where(zeros, 1, x).prod(dims, true);
        Tensor regular = gk.mul(outK).div(x);
        Tensor atZero = Tessera.where(zeroCount.eq(1), gk.mul(othersIfOneZero), 0);
        return Tessera.where(zeros, atZero, regular);
    }
}

package org.tessera.ops;

import java.util.ArrayList;
import java.util.List;
import org.tessera.DType;
import org.tessera.Index;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Graph;
import org.tessera.graph.Op;

/** Basic indexing as one strided view, and boolean-mask selection. */
public final class Indexing {
    private Indexing() {
    }

    /** {@code x[items]}: integers remove dims, slices keep them, None inserts one. */
    public static Tensor index(Tensor x, List<Index> items) {
        int consumed = 0;
        int ellipses = 0;
        for (Index i : items) {
            if (i instanceof Index.Ellipsis) {
                ellipses++;
            } else if (!(i instanceof Index.NewAxis)) {
                consumed++;
            }
        }
        if (ellipses > 1) {
            throw new IllegalArgumentException("index: an index can only have a single ellipsis ('...')");
        }
        int r = x.dim();
        if (consumed > r) {
            throw new IllegalArgumentException("index: too many indices for tensor of dimension " + r + " (shape "
                    + x.shape() + "): got " + consumed);
        }
        List<Index> full = new ArrayList<>();
        for (Index i : items) {
            if (i instanceof Index.Ellipsis) {
                for (int k = 0; k < r - consumed; k++) {
                    full.add(Index.all());
                }
            } else {
                full.add(i);
            }
        }
        if (ellipses == 0) {
            for (int k = consumed; k < r; k++) {
                full.add(Index.all());
            }
        }
        long[] starts = new long[r];
        long[] steps = new long[r];
        long[] counts = new long[r];
        List<Long> outDims = new ArrayList<>();
        int d = 0;
        for (Index i : full) {
            if (i instanceof Index.NewAxis) {
                outDims.add(1L);
                continue;
            }
            long size = x.shape().get(d);
            if (i instanceof Index.At at) {
                long p = at.index() < 0 ? at.index() + size : at.index();
                if (p < 0 || p >= size) {
                    throw new IndexOutOfBoundsException("index: index " + at.index() + " is out of bounds for dimension "
                            + d + " with size " + size + " (shape " + x.shape() + ")");
                }
                starts[d] = p;
                steps[d] = 1;
                counts[d] = 1;
            } else {
                Index.Slice s = (Index.Slice) i;
                long[] res = Movement.resolve(size, s.start(), s.stop(), s.step(), "index");
                starts[d] = res[0];
                steps[d] = s.step();
                counts[d] = res[1];
                outDims.add(res[1]);
            }
            d++;
        }
        Tensor v = Movement.slice(x, starts, steps, counts);
        long[] od = outDims.stream().mapToLong(Long::longValue).toArray();
        return Movement.reshape(v, od);
    }

    /** Elements of {@code x} where {@code mask} is true, broadcasting both; 1-D (torch.masked_select). */
    public static Tensor maskedSelect(Tensor x, Tensor mask) {
        checkMask(mask, "maskedSelect");
        Shape s = Shape.broadcast("maskedSelect", x.shape(), mask.shape());
        Tensor xe = Movement.expand(x, s.dims());
        Tensor me = Movement.expand(mask, s.dims());
        long count = me.sum().longItem();
        return Tensor.of(Graph.node(Op.MASKED_SELECT, Shape.of(count), x.dtype(), null, xe.node(), me.node()));
    }

    /**
     * {@code x[mask]}: the mask's shape must equal the leading dims of x; the result has the
     * selected count followed by the remaining dims.
     */
    public static Tensor maskIndex(Tensor x, Tensor mask) {
        checkMask(mask, "index");
        Shape ms = mask.shape();
        if (ms.rank() > x.dim()) {
            throw new IllegalArgumentException("index: mask of shape " + ms + " has more dims than the tensor "
                    + x.shape());
        }
        for (int i = 0; i < ms.rank(); i++) {
            if (ms.get(i) != x.shape().get(i)) {
                throw new IllegalArgumentException("index: the shape of the mask " + ms + " at index " + i
                        + " does not match the shape of the indexed tensor " + x.shape());
            }
        }
        long[] rest = new long[x.dim() - ms.rank()];
        long restNumel = 1;
        long[] me = new long[x.dim()];
        for (int i = 0; i < x.dim(); i++) {
            me[i] = i < ms.rank() ? ms.get(i) : 1;
            if (i >= ms.rank()) {
                rest[i - ms.rank()] = x.shape().get(i);
                restNumel *= x.shape().get(i);
            }
        }
        Tensor m = Movement.expand(Movement.reshape(mask, me), x.shape().dims());
        Tensor flat = maskedSelect(x, m);
        long[] out = new long[rest.length + 1];
        // with no element per selected position the selection holds none, but still has one row per true element
        out[0] = restNumel == 0 ? mask.to(DType.INT64).sum().longItem() : flat.numel() / restNumel;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return Movement.reshape(flat, out);
    }

    /** Zeros of the mask's shape with {@code values} (1-D, one per true element) placed in order. */
    public static Tensor maskedScatter(Tensor values, Tensor mask) {
        return Tensor.of(Graph.node(Op.MASKED_SCATTER, mask.shape(), values.dtype(), null, values.node(), mask.node()));
    }

    private static void checkMask(Tensor mask, String op) {
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException(op + ": the mask must be a bool tensor, got " + mask.dtype()
                    + "; build it with a comparison such as x.gt(5)");
        }
    }
}

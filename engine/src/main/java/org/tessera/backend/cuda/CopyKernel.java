package org.tessera.backend.cuda;

import org.tessera.DType;
import org.tessera.Shape;

/** Launches {@code ts_copy} (copy.cuh): element copies between two strided views. */
final class CopyKernel {
    private CopyKernel() {
    }

    /**
     * Copies {@code shape}'s elements from the view at {@code src} (strides {@code srcStrides},
     * zeros allowed for broadcasting) to the view at {@code dst}; addresses are of element 0.
     */
    static void copy(CudaContext ctx, DType t, Shape shape, long src, long[] srcStrides, long dst, long[] dstStrides) {
        long n = shape.numel();
        if (n == 0) {
            return;
        }
        Geometry.Merged g = Geometry.merge(shape.dims(), srcStrides, dstStrides);
        long[] c = Geometry.contiguous(g.shape());
        if (java.util.Arrays.equals(g.strides()[0], c) && java.util.Arrays.equals(g.strides()[1], c)) {
            ctx.copyDeviceToDevice(dst, src, n * t.byteSize());
            return;
        }
        if (g.rank() > Geometry.MAX_RANK) {
            throw new UnsupportedOperationException("copy on cuda: a view of shape " + shape + " needs " + g.rank()
                    + " strided dims; the CUDA kernels handle at most " + Geometry.MAX_RANK);
        }
        long[] w = new long[1 + 3 * Geometry.MAX_RANK];
        w[0] = g.rank();
        Geometry.put(w, 1, g.shape());
        Geometry.put(w, 1 + Geometry.MAX_RANK, g.strides()[0]);
        Geometry.put(w, 1 + 2 * Geometry.MAX_RANK, g.strides()[1]);
        ctx.launch("ts_copy", ctx.gridFor(n, 256), 1, 1, 256,
                new KernelArgs().ptr(src).ptr(dst).i64(t.byteSize()).i64(n).words(w));
    }
}

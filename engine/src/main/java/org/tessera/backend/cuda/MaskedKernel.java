package org.tessera.backend.cuda;

import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.graph.Node;

/**
 * Masked select and scatter on CUDA (masked.cuh): per-chunk counts on the device, chunk
 * offsets by a scan on the host, then an order-keeping compaction on the device.
 */
final class MaskedKernel {
    private static final int THREADS = 256;
    private static final long CHUNK = 16L * THREADS;

    private MaskedKernel() {
    }

    /**
     * MASKED_SELECT ({@code select}) or MASKED_SCATTER: {@code values} and {@code mask} are the
     * node's inputs, realized on this device; the result goes to {@code out}.
     */
    static void run(CudaContext ctx, Node n, boolean select, CudaData values, CudaData mask, long out) {
        Node v = n.input(0);
        Node m = n.input(1);
        Shape iter = m.shape();
        long count = iter.numel();
        DType t = n.dtype();
        if (!select) {
            ctx.zero(out, n.shape().numel() * t.byteSize());
        }
        if (count == 0) {
            return;
        }
        DeviceBuffer maskTmp = null;
        DeviceBuffer valueTmp = null;
        DeviceBuffer offsets = null;
        try {
            long maskAddr = mask.address(DType.BOOL);
            if (!mask.isContiguous(iter)) {
                maskTmp = ctx.allocate(count, "mask staging");
                CopyKernel.copy(ctx, DType.BOOL, iter, maskAddr, mask.strides(), maskTmp.address(),
                        iter.contiguousStrides());
                maskAddr = maskTmp.address();
            }
            long src;
            if (select) {
                long[] vs = Geometry.broadcastStrides(v.shape(), values.strides(), iter);
                if (v.shape().equals(iter) && values.isContiguous(iter)) {
                    src = values.address(t);
                } else {
                    valueTmp = ctx.allocate(count * t.byteSize(), "masked_select staging");
                    CopyKernel.copy(ctx, t, iter, values.address(t), vs, valueTmp.address(), iter.contiguousStrides());
                    src = valueTmp.address();
                }
            } else if (values.isContiguous(v.shape())) {
                src = values.address(t);
            } else {
                valueTmp = ctx.allocate(v.shape().numel() * t.byteSize(), "masked_scatter staging");
                CopyKernel.copy(ctx, t, v.shape(), values.address(t), values.strides(), valueTmp.address(),
                        v.shape().contiguousStrides());
                src = valueTmp.address();
            }
            long chunks = (count + CHUNK - 1) / CHUNK;
            offsets = ctx.allocate(8 * chunks, "mask offsets");
            ctx.launch("ts_mask_count", chunks, 1, 1, THREADS,
                    new KernelArgs().ptr(maskAddr).i64(count).i64(CHUNK).ptr(offsets.address()));
            if (chunks > Integer.MAX_VALUE - 8) {
                throw new UnsupportedOperationException("masked ops on cuda: mask of " + count + " elements is too large");
            }
            long[] counts = new long[(int) chunks];
            ctx.copyFromDevice(counts, offsets.address());
            long total = 0;
            for (int i = 0; i < counts.length; i++) {
                long c = counts[i];
                counts[i] = total;
                total += c;
            }
            long expected = select ? n.shape().numel() : v.shape().numel();
            if (total != expected) {
                throw new IllegalStateException((select ? "masked_select" : "masked_scatter") + " on cuda: the mask"
                        + " has " + total + " true elements but the graph expected " + expected);
            }
            ctx.copyToDevice(offsets.address(), counts);
            ctx.launch("ts_mask_apply", chunks, 1, 1, THREADS, new KernelArgs().ptr(maskAddr).i64(count).i64(CHUNK)
                    .ptr(offsets.address()).ptr(src).ptr(out).i64(t.byteSize()).i32(select ? 1 : 0));
        } finally {
            for (DeviceBuffer b : new DeviceBuffer[] {maskTmp, valueTmp, offsets}) {
                if (b != null) {
                    b.release();
                }
            }
        }
    }
}

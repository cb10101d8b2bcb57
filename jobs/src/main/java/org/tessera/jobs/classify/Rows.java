package org.tessera.jobs.classify;

import java.io.Serializable;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Standardized rows held on the heap (float or double, the network's dtype) with their class
 * indices and global row numbers: what the single-node mode and each barrier task train on. Rows of
 * a mini-batch are copied out into one tensor per step.
 */
final class Rows implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] f32;
    private final double[] f64;
    private final int d;
    private final int[] labels;
    private final long[] global;

    private Rows(float[] f32, double[] f64, int d, int[] labels, long[] global) {
        this.f32 = f32;
        this.f64 = f64;
        this.d = d;
        this.labels = labels;
        this.global = global;
    }

    /**
     * Rows from a standardized tensor {@code x} ([m, d], float32 or float64), class indices and the
     * global row number of each row.
     */
    static Rows of(Tensor x, int[] labels, long[] global) {
        int d = (int) x.size(1);
        return x.dtype() == DType.FLOAT32 ? new Rows(x.toFloatArray(), null, d, labels, global)
                : new Rows(null, x.toDoubleArray(), d, labels, global);
    }

    /**
     * The rows of blocks of a [n, d+1] tensor (standardized features, then the class index): the row
     * blocks in order, each the column blocks of one row chunk side by side.
     */
    static Rows fromBlocks(java.util.Iterator<org.tessera.spark.block.Block> it, org.tessera.spark.BlockGrid grid,
            DType dtype) {
        java.util.Map<Integer, java.util.List<org.tessera.spark.block.Block>> byRow = new java.util.TreeMap<>();
        while (it.hasNext()) {
            org.tessera.spark.block.Block b = it.next();
            byRow.computeIfAbsent(b.index(0), k -> new java.util.ArrayList<>()).add(b);
        }
        int d = (int) grid.shape().get(1) - 1;
        java.util.List<Tensor> parts = new java.util.ArrayList<>();
        int count = 0;
        for (var row : byRow.values()) {
            row.sort(java.util.Comparator.comparingInt(b -> b.index(1)));
            java.util.List<Tensor> cols = row.stream().map(org.tessera.spark.block.Block::data).toList();
            parts.add(cols.size() == 1 ? cols.get(0) : Tessera.cat(cols, 1));
            count += (int) parts.get(parts.size() - 1).size(0);
        }
        long[] global = new long[count];
        int j = 0;
        for (int chunk : byRow.keySet()) {
            long off = grid.offset(0, chunk);
            long len = grid.chunk(0, chunk);
            for (long i = 0; i < len; i++) {
                global[j++] = off + i;
            }
        }
        if (parts.isEmpty()) {
            return of(Tessera.zeros(dtype, 0, d), new int[0], new long[0]);
        }
        Tensor all = parts.size() == 1 ? parts.get(0) : Tessera.cat(parts, 0);
        Tensor x = all.slice(1, 0, d, 1).contiguous();
        long[] y = all.select(1, d).to(DType.INT64).toLongArray();
        int[] labels = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            labels[i] = (int) y[i];
        }
        return of(x, labels, global);
    }

    int size() {
        return labels.length;
    }

    int features() {
        return d;
    }

    int label(int i) {
        return labels[i];
    }

    long global(int i) {
        return global[i];
    }

    /** The rows {@code idx} (local numbers) as one [idx.length, d] tensor. */
    Tensor gather(int[] idx) {
        int m = idx.length;
        if (f32 != null) {
            float[] out = new float[m * d];
            for (int i = 0; i < m; i++) {
                System.arraycopy(f32, idx[i] * d, out, i * d, d);
            }
            return Tessera.fromArray(out, m, d);
        }
        double[] out = new double[m * d];
        for (int i = 0; i < m; i++) {
            System.arraycopy(f64, idx[i] * d, out, i * d, d);
        }
        return Tessera.fromArray(out, m, d);
    }

    /** The class indices of rows {@code idx}. */
    int[] labels(int[] idx) {
        int[] y = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            y[i] = labels[idx[i]];
        }
        return y;
    }
}

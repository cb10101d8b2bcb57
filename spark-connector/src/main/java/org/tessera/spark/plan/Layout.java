package org.tessera.spark.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.spark.BlockGrid;

/**
 * Where the blocks of a distributed tensor live: its grid, and the partition dim {@code pdim}.
 *
 * <p>Partition {@code p} of the RDD holds every block whose chunk number along {@code pdim} is
 * {@code p}. Two tensors that cut their partition dims the same way are therefore co-partitioned,
 * and ops between them zip partitions without a shuffle.
 */
public record Layout(BlockGrid grid, int pdim) implements Serializable {
    /** Checks the partition dim. */
    public Layout {
        if (pdim < 0 || pdim >= grid.rank()) {
            throw new IllegalArgumentException("layout: partition dim " + pdim + " is outside the grid's rank "
                    + grid.rank());
        }
    }

    /** The number of partitions (chunks along the partition dim). */
    public int partitions() {
        return grid.numChunks(pdim);
    }

    /** The tensor's shape. */
    public Shape shape() {
        return grid.shape();
    }

    /** Bytes of the whole tensor. */
    public long bytes(DType dtype) {
        return grid.shape().numel() * dtype.byteSize();
    }

    /** Every block index of partition {@code p}, in row-major order (computed where it is needed). */
    public List<int[]> blocksOf(int p) {
        int r = grid.rank();
        List<int[]> out = new ArrayList<>();
        int[] idx = new int[r];
        idx[pdim] = p;
        while (true) {
            out.add(idx.clone());
            int d = r - 1;
            while (d >= 0) {
                if (d == pdim) {
                    d--;
                    continue;
                }
                if (++idx[d] < grid.numChunks(d)) {
                    break;
                }
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                return out;
            }
        }
    }

    @Override
    public String toString() {
        return grid + " partitioned by dim " + pdim + " (" + partitions() + " partitions)";
    }
}

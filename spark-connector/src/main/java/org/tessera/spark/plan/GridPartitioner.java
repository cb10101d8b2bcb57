package org.tessera.spark.plan;

import org.apache.spark.Partitioner;
import org.tessera.spark.block.BlockIndex;

/** Sends a {@link BlockIndex} key to the partition of its chunk number along one dim. */
public final class GridPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int dim;
    private final int partitions;

    /** A partitioner over {@code partitions} chunks of {@code dim}. */
    public GridPartitioner(int dim, int partitions) {
        this.dim = dim;
        this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
        return partitions;
    }

    @Override
    public int getPartition(Object key) {
        return ((BlockIndex) key).get(dim);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GridPartitioner g && g.dim == dim && g.partitions == partitions;
    }

    @Override
    public int hashCode() {
        return dim * 31 + partitions;
    }
}

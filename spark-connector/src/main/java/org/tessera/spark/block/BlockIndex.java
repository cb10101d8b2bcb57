package org.tessera.spark.block;

import java.io.Serializable;
import java.util.Arrays;

/** The position of a block in its grid, one chunk number per dim; a value usable as a shuffle key. */
public final class BlockIndex implements Serializable, Comparable<BlockIndex> {
    private static final long serialVersionUID = 1L;
    private final int[] index;

    /** An index from its chunk numbers (copied). */
    public BlockIndex(int... index) {
        this.index = index.clone();
    }

    /** The chunk number along {@code dim}. */
    public int get(int dim) {
        return index[dim];
    }

    /** The number of dims. */
    public int rank() {
        return index.length;
    }

    /** A copy of the chunk numbers. */
    public int[] toArray() {
        return index.clone();
    }

    /** Prints like {@code (0, 3)}. */
    public static String format(int[] index) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < index.length; i++) {
            b.append(i == 0 ? "" : ", ").append(index[i]);
        }
        return b.append(')').toString();
    }

    /** Row-major order of the chunk numbers. */
    @Override
    public int compareTo(BlockIndex o) {
        return Arrays.compare(index, o.index);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockIndex b && Arrays.equals(b.index, index);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(index);
    }

    @Override
    public String toString() {
        return format(index);
    }
}

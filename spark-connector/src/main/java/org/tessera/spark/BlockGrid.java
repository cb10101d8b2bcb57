package org.tessera.spark;

import java.io.Serializable;
import java.util.Arrays;
import org.tessera.Shape;

/**
 * How a distributed tensor is cut into blocks: per dim, the list of chunk sizes.
 *
 * <p>Grids are regular by default (every chunk the same size but the last), and may be
 * irregular, as the rows of a tensor made from DataFrame partitions. Chunks may be empty.
 *
 * <pre>{@code
 * BlockGrid g = BlockGrid.regular(Shape.of(10, 4), 4, 4);   // rows [4, 4, 2], cols [4]
 * g.blockShape(2, 0)                                         // [2, 4]
 * }</pre>
 */
public final class BlockGrid implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long[][] chunks;
    private final long[][] offsets;

    private BlockGrid(long[][] chunks) {
        this.chunks = new long[chunks.length][];
        this.offsets = new long[chunks.length][];
        for (int d = 0; d < chunks.length; d++) {
            if (chunks[d].length == 0) {
                throw new IllegalArgumentException("block grid: dim " + d + " has no chunks; a dim of size 0 still"
                        + " needs one empty chunk");
            }
            this.chunks[d] = chunks[d].clone();
            this.offsets[d] = new long[chunks[d].length + 1];
            for (int i = 0; i < chunks[d].length; i++) {
                if (chunks[d][i] < 0) {
                    throw new IllegalArgumentException("block grid: chunk " + i + " of dim " + d + " has negative size "
                            + chunks[d][i]);
                }
                offsets[d][i + 1] = offsets[d][i] + chunks[d][i];
            }
        }
    }

    /** A grid from explicit chunk sizes per dim (irregular grids). */
    public static BlockGrid of(long[]... chunks) {
        return new BlockGrid(chunks);
    }

    /**
     * A regular grid: blocks of {@code blockShape}, the last chunk of each dim holding the rest.
     *
     * @throws IllegalArgumentException when the ranks differ or a block size is not positive
     */
    public static BlockGrid regular(Shape shape, long... blockShape) {
        if (blockShape.length != shape.rank()) {
            throw new IllegalArgumentException("block grid: block shape " + Arrays.toString(blockShape) + " has rank "
                    + blockShape.length + " but the tensor " + shape + " has rank " + shape.rank());
        }
        long[][] c = new long[shape.rank()][];
        for (int d = 0; d < c.length; d++) {
            long size = shape.get(d);
            long b = blockShape[d];
            if (b <= 0) {
                throw new IllegalArgumentException("block grid: block size " + b + " along dim " + d
                        + " must be positive (block shape " + Arrays.toString(blockShape) + ")");
            }
            c[d] = regularChunks(size, b);
        }
        return new BlockGrid(c);
    }

    /** Chunks of {@code block} covering {@code size}, the last one shorter; one empty chunk for size 0. */
    public static long[] regularChunks(long size, long block) {
        if (size == 0) {
            return new long[] {0};
        }
        long count = size / block + (size % block == 0 ? 0 : 1); // no overflow near Long.MAX_VALUE
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("block grid: a dim of size " + size + " in blocks of " + block
                    + " makes " + count + " chunks, more than a Java array can hold; use larger blocks");
        }
        int n = (int) count;
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = Math.min(block, size - i * block);
        }
        return r;
    }

    /** The number of dims. */
    public int rank() {
        return chunks.length;
    }

    /** The shape of the whole tensor. */
    public Shape shape() {
        long[] s = new long[chunks.length];
        for (int d = 0; d < s.length; d++) {
            s[d] = offsets[d][chunks[d].length];
        }
        return Shape.of(s);
    }

    /** The number of chunks along {@code dim}. */
    public int numChunks(int dim) {
        return chunks[dim].length;
    }

    /** The chunk sizes along {@code dim} (a copy). */
    public long[] chunks(int dim) {
        return chunks[dim].clone();
    }

    /** The size of chunk {@code i} along {@code dim}. */
    public long chunk(int dim, int i) {
        return chunks[dim][i];
    }

    /** Where chunk {@code i} of {@code dim} starts. */
    public long offset(int dim, int i) {
        return offsets[dim][i];
    }

    /** The chunk of {@code dim} that holds {@code position} (the last non-empty one at the end). */
    public int chunkOf(int dim, long position) {
        long[] o = offsets[dim];
        int lo = 0;
        int hi = chunks[dim].length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (o[mid] <= position) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        while (lo > 0 && chunks[dim][lo] == 0 && o[lo] == position) {
            lo--;
        }
        return lo;
    }

    /** The total number of blocks. */
    public long numBlocks() {
        long n = 1;
        for (long[] c : chunks) {
            n *= c.length;
        }
        return n;
    }

    /** The shape of the block at {@code index}. */
    public long[] blockShape(int... index) {
        long[] s = new long[chunks.length];
        for (int d = 0; d < s.length; d++) {
            s[d] = chunks[d][index[d]];
        }
        return s;
    }

    /** The position of element [0, …] of the block at {@code index}. */
    public long[] blockStart(int... index) {
        long[] s = new long[chunks.length];
        for (int d = 0; d < s.length; d++) {
            s[d] = offsets[d][index[d]];
        }
        return s;
    }

    /** The largest number of elements in one block. */
    public long maxBlockElements() {
        long n = 1;
        for (long[] c : chunks) {
            n *= Arrays.stream(c).max().orElse(0);
        }
        return n;
    }

    /** Whether two grids cut {@code dim} the same way. */
    public boolean sameChunks(int dim, BlockGrid other, int otherDim) {
        return Arrays.equals(chunks[dim], other.chunks[otherDim]);
    }

    /** This grid with the chunks of {@code dim} replaced. */
    public BlockGrid withChunks(int dim, long[] newChunks) {
        long[][] c = chunks.clone();
        c[dim] = newChunks.clone();
        return new BlockGrid(c);
    }

    /** This grid with its dims reordered: dim {@code i} of the result is dim {@code perm[i]} of this one. */
    public BlockGrid permute(int[] perm) {
        long[][] c = new long[perm.length][];
        for (int i = 0; i < perm.length; i++) {
            c[i] = chunks[perm[i]];
        }
        return new BlockGrid(c);
    }

    /** The chunks of every dim (copies). */
    public long[][] allChunks() {
        long[][] c = new long[chunks.length][];
        for (int d = 0; d < c.length; d++) {
            c[d] = chunks[d].clone();
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockGrid g && Arrays.deepEquals(g.chunks, chunks);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(chunks);
    }

    /** Prints each dim's chunks compactly, e.g. {@code BlockGrid[3×4 + 2, 1×5]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("BlockGrid[");
        for (int d = 0; d < chunks.length; d++) {
            b.append(d == 0 ? "" : ", ").append(describe(chunks[d]));
        }
        return b.append(']').toString();
    }

    private static String describe(long[] c) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < c.length) {
            int j = i;
            while (j < c.length && c[j] == c[i]) {
                j++;
            }
            b.append(b.length() == 0 ? "" : " + ").append(j - i).append('×').append(c[i]);
            i = j;
        }
        return b.toString();
    }
}

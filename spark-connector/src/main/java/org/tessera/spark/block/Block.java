package org.tessera.spark.block;

import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.backend.Offload;

/**
 * One block of a distributed tensor: a realized, row-major CPU tensor and its index in the grid.
 *
 * <p>The constructor is where a block's kernels run: a lazy graph built for the block is realized
 * on {@link BlockDevice#current()} (the device the task is bound to; the CPU on the driver), its
 * inputs copied in and the result copied back, so the stored data is always on the CPU.
 *
 * <p>The data lives off-heap; a block that becomes unreachable releases it. Serialization (Java
 * or Kryo) writes the layout of {@link BlockCodec}.
 */
public final class Block implements Externalizable, org.apache.spark.util.KnownSizeEstimation {
    private static final long serialVersionUID = 1L;
    private int[] index;
    private Tensor data;

    /** For deserialization only. */
    public Block() {
    }

    /**
     * A block holding {@code data} (realized now, on this thread's {@link BlockDevice}; a strided
     * view such as a transposed block stays a view, and is made row-major only when it is
     * serialized) at {@code index}.
     *
     * @throws IllegalArgumentException when the index rank differs from the data's rank
     */
    public Block(int[] index, Tensor data) {
        if (index.length != data.dim()) {
            throw new IllegalArgumentException("block: index " + BlockIndex.format(index) + " has rank " + index.length
                    + " but the data has shape " + data.shape());
        }
        if (!data.device().equals(Device.CPU)) {
            throw new IllegalArgumentException("block: data must be on the CPU, got " + data.device());
        }
        this.index = index.clone();
        this.data = Offload.realize(data, BlockDevice.current());
    }

    /** The chunk number along each dim (a copy). */
    public int[] index() {
        return index.clone();
    }

    /** The chunk number along {@code dim}. */
    public int index(int dim) {
        return index[dim];
    }

    /** The index as a key. */
    public BlockIndex key() {
        return new BlockIndex(index);
    }

    /** The block's values as a realized CPU tensor (possibly a strided view). */
    public Tensor data() {
        return data;
    }

    /** Bytes of element data. */
    public long bytes() {
        return data.numel() * data.dtype().byteSize();
    }

    /**
     * The size Spark's memory accounting uses for a cached block: the off-heap data plus a small
     * object overhead (Spark's size estimator would otherwise walk into the allocator).
     */
    @Override
    public long estimatedSize() {
        return heldBytes() + 128;
    }

    /**
     * Bytes of off-heap memory the block keeps alive: its elements' bytes, or more when its data is a
     * view (a slice of a larger block keeps the whole buffer).
     */
    public long heldBytes() {
        org.tessera.memory.Storage s = data.node().storage();
        return s == null ? bytes() : Math.max(bytes(), s.byteSize());
    }

    /**
     * This block, or one holding a row-major copy of its data when the data is a view that keeps
     * more memory alive than its own elements: what is cached should hold only its own values.
     */
    public Block compacted() {
        if (heldBytes() <= bytes()) {
            return this;
        }
        Tensor copy = Tensor.of(org.tessera.graph.Graph.node(org.tessera.graph.Op.CAST, data.shape(), data.dtype(), null,
                data.node())); // a new buffer of its own, row-major
        return new Block(index, copy);
    }

    /** The same data at another index. */
    public Block withIndex(int[] newIndex) {
        return new Block(newIndex, data);
    }

    @Override
    public void writeExternal(ObjectOutput out) throws IOException {
        BlockCodec.write(this, out::write);
    }

    @Override
    public void readExternal(ObjectInput in) throws IOException {
        Block b = BlockCodec.read(in::readFully);
        this.index = b.index;
        this.data = b.data;
    }

    @Override
    public String toString() {
        return "Block" + BlockIndex.format(index) + " " + data.shape() + " " + data.dtype();
    }
}

package org.tessera.arrow.internal;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Node;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;

/** Sharing memory between tensors and Arrow buffers, in both directions, without copying. */
public final class SharedMemory {
    private SharedMemory() {
    }

    /**
     * The realized host node of {@code t} with writable memory, to share with Arrow vectors (which
     * can write to it): as {@link #hostForReading}, except that a tensor whose memory is read-only
     * (a mapped file) is copied once into new memory. {@code op} names the caller in errors.
     */
    public static Node host(Tensor t, String op) {
        Node h = hostForReading(t, op);
        Storage src = h.storage();
        if (!src.isReadOnly()) {
            return h;
        }
        Storage copy = Storage.allocate(src.byteSize(), "writable copy of " + src);
        Memory.copy(src.address(), copy.address(), src.byteSize());
        return Creation.fromStorage(copy, h.shape(), h.dtype(), h.offset(), h.strides()).node();
    }

    /**
     * The realized host node of {@code t}, for code that only reads its memory: the tensor itself
     * when it is a CPU tensor (realizing it if needed), otherwise a copy on the CPU. Its memory may
     * be read-only (a mapped file), and it is checked to still be readable (a mapped file not
     * truncated since). {@code op} names the caller in errors.
     */
    public static Node hostForReading(Tensor t, String op) {
        Tensor h = t.device().equals(Device.CPU) ? t : t.cpu();
        h.realize();
        if (h.node().storage() == null) {
            throw new IllegalStateException(op + ": tensor " + t.shape() + " on " + t.device()
                    + " has no host memory after moving it to the CPU");
        }
        // memory mapped from a file truncated since it was loaded fails here, with the file named,
        // not with a fault (or a crash, in an intrinsic such as a checksum) where it is read
        h.node().storage().checkMapped(op);
        return h.node();
    }

    /**
     * An Arrow buffer over elements {@code [start, start + count)} of the node's storage (offsets
     * in elements from the storage start), which must be writable (from {@link #host}). No copy and
     * no new reference: a vector that loads it takes its own reference.
     */
    public static ArrowBuf slice(Node n, long start, long count) {
        return slice(n.storage().arrowBuf(), n.dtype(), start, count);
    }

    /** As {@link #slice}, for code that only reads the buffer; the storage may be read-only. */
    public static ArrowBuf sliceForReading(Node n, long start, long count) {
        return slice(n.storage().arrowBufForReading(), n.dtype(), start, count);
    }

    private static ArrowBuf slice(ArrowBuf whole, DType dtype, long start, long count) {
        long esize = dtype.byteSize();
        ArrowBuf s = whole.slice(start * esize, count * esize);
        s.writerIndex(count * esize);
        return s;
    }

    /**
     * A tensor viewing {@code bytes} bytes of {@code region} with the given shape and strides (in
     * elements, from the region's first byte). The tensor takes one reference on the buffer's
     * memory, released when the enclosing scope closes or the tensor becomes unreachable.
     */
    public static Tensor wrap(ArrowBuf region, long bytes, Shape shape, DType dtype, long[] strides, String what) {
        if (shape.numel() == 0) {
            Storage empty = Storage.allocate(0, what);
            return Creation.fromStorage(empty, shape, dtype, 0, shape.contiguousStrides());
        }
        ArrowBuf own = region.slice(0, bytes);
        Storage s = Storage.wrap(own, bytes, what);
        return Creation.fromStorage(s, shape, dtype, 0, strides);
    }

    /** A new contiguous tensor over fresh storage that already holds its values. */
    public static Tensor adopt(Storage s, Shape shape, DType dtype) {
        return Creation.fromStorage(s, shape, dtype, 0, shape.contiguousStrides());
    }

    /**
     * Checks that vectors made by {@code allocator} can share tensor memory: Arrow only shares
     * buffers between allocators of one root.
     */
    public static void checkAllocator(BufferAllocator allocator, String op) {
        if (allocator == null || allocator.getRoot() != Memory.root()) {
            throw new IllegalArgumentException(op + ": the allocator must descend from Tessera's root allocator so"
                    + " that the vector can share the tensor's memory; create it with"
                    + " ArrowVectors.newAllocator(name) or Memory.root().newChildAllocator(...)");
        }
    }

    /** Writes {@code value} as one element of {@code dtype} at {@code address}. */
    public static void put(long address, DType dtype, Number value) {
        switch (dtype) {
            case FLOAT32 -> Memory.putFloat(address, value.floatValue());
            case FLOAT64 -> Memory.putDouble(address, value.doubleValue());
            case INT32 -> Memory.putInt(address, value.intValue());
            case INT64 -> Memory.putLong(address, value.longValue());
            case BOOL -> Memory.putByte(address, (byte) (value.doubleValue() != 0 ? 1 : 0));
        }
    }
}

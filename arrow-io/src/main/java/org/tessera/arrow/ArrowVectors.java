package org.tessera.arrow;

import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.arrow.internal.ArrowLayouts;
import org.tessera.arrow.internal.Bits;
import org.tessera.arrow.internal.SharedMemory;
import org.tessera.arrow.internal.VectorCopies;
import org.tessera.graph.Node;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;

/**
 * 1-D tensors as Arrow vectors and back, sharing memory wherever the layouts agree.
 *
 * <p>Numeric vectors ({@code Float4Vector}, {@code Float8Vector}, {@code IntVector},
 * {@code BigIntVector}) and contiguous CPU tensors have the same layout (little-endian values,
 * back to back), so a conversion in either direction shares the memory: a write through one is
 * seen through the other, as a NumPy array and a tensor made from it in PyTorch.
 *
 * <pre>{@code
 * try (BufferAllocator alloc = ArrowVectors.newAllocator("demo"); Scope scope = Tessera.scope()) {
 *     Tensor t = Tessera.tensor(new float[] {1, 2, 3});
 *     Float4Vector v = (Float4Vector) ArrowVectors.toVector(t, "x", alloc);
 *     t.set(10, 0);          // v.get(0) is now 10
 *     v.set(1, 20f);         // t is now [10, 20, 3]
 *     v.close();
 * }
 * }</pre>
 *
 * <p>What is copied, once: booleans (Arrow packs them in bits, Tessera stores a byte each),
 * strided tensors (an Arrow vector has no strides), and vectors with nulls when a fill value is
 * given. An Arrow vector also needs a validity bitmap, which is allocated (one bit per value,
 * all set) when a tensor becomes a vector.
 *
 * <p>Lifetimes: a vector made from a tensor holds its own reference on the tensor's memory, so
 * it stays valid after the tensor's scope closes; a tensor made from a vector holds a reference
 * on the vector's buffer until its scope closes (or, outside scopes, until it is collected).
 * Growing a shared vector ({@code setSafe} past its capacity) reallocates it and ends the sharing.
 */
public final class ArrowVectors {
    static {
        FixedShapeTensorType.register();
    }

    private ArrowVectors() {
    }

    /**
     * A child allocator of Tessera's root allocator, for vectors that share tensor memory; close
     * it when done (closing fails with the byte count if a vector or buffer was leaked).
     */
    public static BufferAllocator newAllocator(String name) {
        return Memory.root().newChildAllocator(name, 0, Memory.root().getLimit());
    }

    /**
     * The values of a 1-D tensor as an Arrow vector named {@code name}: {@code Float4Vector} for
     * float32, {@code Float8Vector} for float64, {@code IntVector} for int32, {@code BigIntVector}
     * for int64, {@code BitVector} for bool.
     *
     * <p>Shares the tensor's memory when it is a contiguous CPU tensor (stride 1) of a numeric
     * dtype; otherwise the values are copied once (booleans, strided views, other devices).
     * Example: {@code toVector(Tessera.arange(3), "i", alloc)} is a {@code BigIntVector} [0, 1, 2].
     *
     * @throws IllegalArgumentException if the tensor is not 1-D or the allocator does not descend
     *     from Tessera's root allocator
     */
    public static FieldVector toVector(Tensor tensor, String name, BufferAllocator allocator) {
        if (tensor.dim() != 1) {
            throw new IllegalArgumentException("toVector: expected a 1-D tensor, got shape " + tensor.shape()
                    + "; use flatten() for the values, ArrowTables.toRoot for 2-D columns or"
                    + " TensorColumns.toVector for a column of tensors");
        }
        SharedMemory.checkAllocator(allocator, "toVector");
        if (tensor.numel() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("toVector: " + tensor.numel() + " elements exceed the "
                    + Integer.MAX_VALUE + " values an Arrow Java vector can hold; split the tensor with narrow()");
        }
        Node h = SharedMemory.host(tensor, "toVector");
        int n = (int) tensor.numel();
        FieldVector v = ArrowLayouts.newVector(name, tensor.dtype(), allocator);
        try {
            if (tensor.dtype() == DType.BOOL) {
                loadPacked(v, h, n, allocator);
            } else {
                Node c = h.isContiguous() ? h : Tensor.of(h).contiguous().node();
                load(v, SharedMemory.slice(c, c.offset(), n), n, allocator);
            }
            return v;
        } catch (org.apache.arrow.memory.OutOfMemoryException e) {
            v.close();
            throw new org.tessera.TesseraMemoryException("toVector: the allocator '" + allocator.getName() + "' (limit "
                    + allocator.getLimit() + " bytes, " + allocator.getAllocatedMemory() + " allocated) cannot hold the"
                    + " vector of the tensor " + tensor.shape() + " " + tensor.dtype() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    /** Loads {@code data} (shared, not copied) and an all-valid bitmap into a fixed-width vector. */
    static void load(FieldVector v, ArrowBuf data, int n, BufferAllocator allocator) {
        v.loadFieldBuffers(new ArrowFieldNode(n, 0), List.of(allocator.getEmpty(), data));
    }

    /** Packs a bool node into bits in a new buffer owned by the vector. */
    static void loadPacked(FieldVector v, Node h, int n, BufferAllocator allocator) {
        Node c = h.isContiguous() ? h : Tensor.of(h).contiguous().node();
        try (ArrowBuf bits = allocator.buffer(Math.max(1, (n + 7) / 8))) {
            bits.setZero(0, bits.capacity());
            if (n > 0) {
                // pinned while read: a contiguous copy is referenced by nothing else
                org.tessera.memory.Storage pinned = c.storage().pin();
                try {
                    Bits.pack(c.address(), bits.memoryAddress(), n);
                } finally {
                    pinned.unpin();
                }
            }
            bits.writerIndex((n + 7) / 8);
            load(v, bits, n, allocator);
        }
    }

    /**
     * A 1-D tensor of the vector's values, sharing the vector's memory for numeric vectors.
     *
     * <p>Example: a {@code Float8Vector} [1.5, 2.5] gives {@code tensor([1.5000, 2.5000],
     * dtype=float64)}; setting an element of either is seen in the other. A {@code BitVector}
     * is copied (unpacked to one byte per value).
     *
     * @throws TesseraIOException if the vector has nulls (use {@link #fromVector(FieldVector,
     *     Number)}), its type has no Tessera dtype, or its data buffer is shorter than its length
     */
    public static Tensor fromVector(FieldVector vector) {
        return fromVector(vector, null);
    }

    /**
     * As {@link #fromVector(FieldVector)}, but nulls become {@code nullFill}; when the vector has
     * nulls the values are copied once (a tensor has no validity bitmap to share).
     */
    public static Tensor fromVector(FieldVector vector, Number nullFill) {
        String source = "Arrow vector '" + vector.getName() + "'";
        if (vector instanceof ExtensionTypeVector<?>) {
            throw new TesseraIOException(source, "is an extension vector (" + vector.getField().getType()
                    + "); use TensorColumns.fromVector for arrow.fixed_shape_tensor columns");
        }
        DType dtype = ArrowLayouts.dtypeOf(vector.getField().getType());
        if (dtype == null) {
            throw new TesseraIOException(source, "unsupported Arrow type " + vector.getField().getType()
                    + "; supported: " + ArrowLayouts.SUPPORTED);
        }
        int n = vector.getValueCount();
        Shape shape = Shape.of(n);
        long firstNull = VectorCopies.firstNull(vector, n);
        if (firstNull >= 0 && nullFill == null) {
            throw new TesseraIOException(source, "has " + vector.getNullCount() + " null values (the first at index "
                    + firstNull + "); a tensor cannot hold nulls: pass a fill value to fromVector(vector, fill)");
        }
        if (dtype == DType.BOOL || firstNull >= 0) {
            Storage s = VectorCopies.copy(vector, dtype, n, nullFill, source);
            return SharedMemory.adopt(s, shape, dtype);
        }
        ArrowBuf data = VectorCopies.dataBuffer(vector, dtype, n, source);
        return SharedMemory.wrap(data, (long) n * dtype.byteSize(), shape, dtype, new long[] {1}, source);
    }
}

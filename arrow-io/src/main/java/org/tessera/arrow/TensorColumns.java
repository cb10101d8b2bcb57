package org.tessera.arrow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.arrow.internal.ArrowLayouts;
import org.tessera.arrow.internal.SharedMemory;
import org.tessera.arrow.internal.VectorCopies;
import org.tessera.graph.Node;
import org.tessera.memory.Storage;

/**
 * N-D tensors as a column of Arrow's canonical {@code arrow.fixed_shape_tensor} extension type:
 * a tensor of shape {@code [n, d1, ..., dk]} is a column of {@code n} values of shape
 * {@code [d1, ..., dk]}.
 *
 * <pre>{@code
 * Tensor images = Tessera.rand(100, 3, 32, 32);
 * FixedShapeTensorVector col = TensorColumns.toVector(images, "image", List.of("C", "H", "W"), alloc);
 * // col.type().serialize() is {"shape":[3,32,32],"dim_names":["C","H","W"]}
 * Tensor back = TensorColumns.fromVector(col);   // shape [100, 3, 32, 32], same memory
 * }</pre>
 *
 * <p>Memory is shared in both directions for numeric dtypes when the values are row-major per
 * value up to a permutation of their dims (a contiguous tensor, or a {@code permute} of one over
 * dims 1..k): a permuted layout is written as the spec's {@code permutation} instead of being
 * copied, and read back as a {@code permute} view. Other layouts and bool values are copied once.
 */
public final class TensorColumns {
    static {
        FixedShapeTensorType.register();
    }

    private TensorColumns() {
    }

    /** {@link #toVector(Tensor, String, List, BufferAllocator)} without dim names. */
    public static FixedShapeTensorVector toVector(Tensor batch, String name, BufferAllocator allocator) {
        return toVector(batch, name, null, allocator);
    }

    /**
     * A column of the tensor's slices along dim 0, as {@code arrow.fixed_shape_tensor} values.
     *
     * @param batch a tensor of rank 1 or more; a rank-1 tensor gives 0-d values ({@code "shape":[]})
     * @param dimNames names of the value dims (dims 1..k of {@code batch}) or null
     * @throws IllegalArgumentException for a 0-d tensor, names of the wrong count, more than
     *     2^31-1 elements, or an allocator outside Tessera's root
     */
    public static FixedShapeTensorVector toVector(Tensor batch, String name, List<String> dimNames,
                                                  BufferAllocator allocator) {
        if (batch.dim() < 1) {
            throw new IllegalArgumentException("TensorColumns.toVector: expected a tensor of rank 1 or more (dim 0"
                    + " indexes the column's rows), got a 0-d tensor; use unsqueeze(0)");
        }
        SharedMemory.checkAllocator(allocator, "TensorColumns.toVector");
        long[] dims = batch.shape().dims();
        int k = dims.length - 1;
        if (dimNames != null && dimNames.size() != k) {
            throw new IllegalArgumentException("TensorColumns.toVector: " + dimNames.size() + " dim names "
                    + dimNames + " for values of rank " + k + " (shape " + batch.shape() + ")");
        }
        if (batch.numel() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("TensorColumns.toVector: " + batch.numel() + " elements exceed the "
                    + Integer.MAX_VALUE + " an Arrow Java vector can hold; split the tensor along dim 0");
        }
        Node h = SharedMemory.host(batch, "toVector");
        int[] order = batch.dtype() == DType.BOOL ? null : physicalOrder(h);
        if (order == null) {
            h = Tensor.of(h).contiguous().node();
            order = identity(k);
        }
        long[] physical = new long[k];
        List<String> physicalNames = dimNames == null ? null : new ArrayList<>();
        int[] permutation = new int[k];
        for (int j = 0; j < k; j++) {
            physical[j] = dims[1 + order[j]];
            if (physicalNames != null) {
                physicalNames.add(dimNames.get(order[j]));
            }
            permutation[order[j]] = j;
        }
        boolean identity = Arrays.equals(permutation, identity(k));
        FixedShapeTensorType type = new FixedShapeTensorType(physical, physicalNames, identity ? null : permutation);
        DType dtype = batch.dtype();
        Field child = new Field("item", new FieldType(true, ArrowLayouts.arrowType(dtype), null), null);
        Field field = new Field(name, new FieldType(true, type, null), List.of(child));
        FixedShapeTensorVector vector = (FixedShapeTensorVector) field.createVector(allocator);
        try {
            int rows = (int) dims[0];
            int n = (int) batch.numel();
            FixedSizeListVector list = vector.getUnderlyingVector();
            list.loadFieldBuffers(new ArrowFieldNode(rows, 0), List.of(allocator.getEmpty()));
            FieldVector values = (FieldVector) list.getDataVector();
            if (dtype == DType.BOOL) {
                ArrowVectors.loadPacked(values, h, n, allocator);
            } else {
                ArrowVectors.load(values, SharedMemory.slice(h, h.offset(), n), n, allocator);
            }
            return vector;
        } catch (RuntimeException e) {
            vector.close();
            throw e;
        }
    }

    private static int[] identity(int k) {
        int[] p = new int[k];
        for (int i = 0; i < k; i++) {
            p[i] = i;
        }
        return p;
    }

    /**
     * The value dims (0-based, excluding dim 0) in decreasing stride order when the node's
     * memory is row-major per value in that order and the values follow each other; else null.
     */
    private static int[] physicalOrder(Node h) {
        long[] dims = h.shape().dims();
        long[] strides = h.strides();
        int k = dims.length - 1;
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        // size-1 dims may have any stride; keep them in place relative to their logical order
        Arrays.sort(order, (a, b) -> {
            long sa = dims[1 + a] == 1 ? -1 : strides[1 + a];
            long sb = dims[1 + b] == 1 ? -1 : strides[1 + b];
            if (sa == -1 || sb == -1) {
                return Integer.compare(a, b);
            }
            return sa != sb ? Long.compare(sb, sa) : Integer.compare(a, b);
        });
        long expected = 1;
        for (int j = k - 1; j >= 0; j--) {
            int d = order[j];
            if (dims[1 + d] != 1 && strides[1 + d] != expected) {
                return null;
            }
            expected *= dims[1 + d];
        }
        if (dims[0] > 1 && strides[0] != expected) {
            return null;
        }
        int[] out = new int[k];
        for (int j = 0; j < k; j++) {
            out[j] = order[j];
        }
        return out;
    }

    /** {@link #fromVector(FieldVector, Number)} for columns without nulls. */
    public static Tensor fromVector(FieldVector column) {
        return fromVector(column, null);
    }

    /**
     * The tensor of shape {@code [rows, logical value shape]} that a tensor column holds, viewing
     * the column's memory for numeric values without nulls (with the spec's permutation applied as
     * a {@code permute} view); copying once otherwise. Accepts a {@link FixedShapeTensorVector}, a
     * {@code FixedSizeListVector} whose field carries the extension metadata (as read without the
     * type registered), or a plain {@code FixedSizeListVector} (values of shape {@code [listSize]}).
     *
     * @param nullFill the value for null tensors and null elements, or null to refuse nulls
     * @throws TesseraIOException for another type, malformed extension metadata, an unsupported
     *     element type, nulls without a fill value, or buffers shorter than the column's length
     */
    public static Tensor fromVector(FieldVector column, Number nullFill) {
        String source = "Arrow column '" + column.getName() + "'";
        FixedSizeListVector list;
        FixedShapeTensorType type;
        if (column instanceof FixedShapeTensorVector v) {
            list = v.getUnderlyingVector();
            type = v.type();
        } else if (column instanceof FixedSizeListVector l) {
            list = l;
            type = typeFromMetadata(l, source);
        } else {
            throw new TesseraIOException(source, "expected an " + FixedShapeTensorType.NAME
                    + " or FixedSizeList column, got " + column.getField().getType());
        }
        int listSize = list.getListSize();
        FieldVector values = (FieldVector) list.getDataVector();
        DType dtype = ArrowLayouts.dtypeOf(values.getField().getType());
        if (dtype == null) {
            throw new TesseraIOException(source, "unsupported element type " + values.getField().getType()
                    + "; supported: " + ArrowLayouts.SUPPORTED);
        }
        long rows = list.getValueCount();
        long n = rows * listSize;
        if (values.getValueCount() < n) {
            throw new TesseraIOException(source, rows + " values of " + listSize + " elements need " + n
                    + " elements but the child vector holds " + values.getValueCount());
        }
        long[] phys = type.shape();
        long[] physFull = new long[phys.length + 1];
        physFull[0] = rows;
        System.arraycopy(phys, 0, physFull, 1, phys.length);
        Shape physicalShape = Shape.of(physFull);
        long listNulls = VectorCopies.firstNull(list, rows);
        long valueNulls = VectorCopies.firstNull(values, n);
        if ((listNulls >= 0 || valueNulls >= 0) && nullFill == null) {
            throw new TesseraIOException(source, "has nulls (" + (listNulls >= 0 ? "tensor " + listNulls
                    : "element " + valueNulls) + " is null); a tensor cannot hold nulls: pass a fill value to"
                    + " fromVector(column, fill)");
        }
        Tensor physical;
        if (dtype == DType.BOOL || listNulls >= 0 || valueNulls >= 0) {
            Storage s = VectorCopies.copy(values, dtype, n, nullFill, source);
            if (listNulls >= 0) {
                for (int r = 0; r < rows; r++) {
                    if (list.isNull(r)) {
                        for (long e = 0; e < listSize; e++) {
                            SharedMemory.put(s.address() + ((long) r * listSize + e) * dtype.byteSize(), dtype,
                                    nullFill);
                        }
                    }
                }
            }
            physical = SharedMemory.adopt(s, physicalShape, dtype);
        } else {
            ArrowBuf data = VectorCopies.dataBuffer(values, dtype, n, source);
            physical = SharedMemory.wrap(data, n * dtype.byteSize(), physicalShape, dtype,
                    physicalShape.contiguousStrides(), source);
        }
        int[] perm = type.permutation();
        if (perm == null) {
            return physical;
        }
        int[] full = new int[perm.length + 1];
        for (int i = 0; i < perm.length; i++) {
            full[i + 1] = perm[i] + 1;
        }
        return physical.permute(full);
    }

    static FixedShapeTensorType typeFromMetadata(FixedSizeListVector list, String source) {
        try {
            return FixedShapeTensorType.of(list.getField());
        } catch (TesseraIOException e) {
            throw new TesseraIOException(source, e.getMessage().substring(e.source().length() + 2), e);
        }
    }

    /** The logical dim names of a tensor column's values, or null when it has none. */
    public static List<String> dimNames(FieldVector column) {
        if (column instanceof FixedShapeTensorVector v) {
            return v.type().logicalDimNames();
        }
        if (column instanceof FixedSizeListVector l) {
            return typeFromMetadata(l, "Arrow column '" + column.getName() + "'").logicalDimNames();
        }
        return null;
    }
}

package org.tessera.arrow;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.arrow.internal.ArrowLayouts;
import org.tessera.arrow.internal.SharedMemory;
import org.tessera.arrow.internal.VectorCopies;
import org.tessera.graph.Node;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;

/**
 * 2-D tensors as Arrow tables ({@link VectorSchemaRoot}s of numeric columns) and back, with the
 * column names kept.
 *
 * <pre>{@code
 * Tensor x = Tessera.tensor(new double[][] {{1, 2}, {3, 4}, {5, 6}});
 * try (VectorSchemaRoot root = ArrowTables.toRoot(x, List.of("a", "b"), alloc)) {
 *     TableTensor back = ArrowTables.fromRoot(root);   // [3, 2], columns [a, b]
 * }
 * }</pre>
 *
 * <p>Arrow stores each column in its own buffer, while a row-major tensor interleaves columns,
 * so whether memory is shared depends on the layout:
 * <ul>
 *   <li>{@link #toRoot} shares the tensor's memory when each column is contiguous (a
 *       column-major tensor, such as {@code x.t().contiguous().t()} or what {@link #fromRoot}
 *       returns); for a row-major tensor it copies once, transposing into column-major memory that
 *       the columns then share.</li>
 *   <li>{@link #fromRoot} returns a strided view (no copy; strides {@code [1, spacing]}) when all
 *       columns have one numeric type, no nulls, and lie in one Arrow buffer at a constant
 *       spacing, as the columns made by {@code toRoot} and record batches read from an
 *       uncompressed IPC file do. Otherwise it copies once into a column-major tensor (columns of
 *       mixed types are promoted as {@link DType#promote} does).</li>
 * </ul>
 * Bool columns are always copied (Arrow packs them in bits).
 */
public final class ArrowTables {
    static {
        FixedShapeTensorType.register();
    }

    private ArrowTables() {
    }

    /**
     * A table with one column per column of the 2-D {@code tensor}, named {@code columnNames}.
     *
     * @throws IllegalArgumentException for a tensor that is not 2-D, a name count that differs
     *     from the column count, or an allocator outside Tessera's root
     */
    public static VectorSchemaRoot toRoot(Tensor tensor, List<String> columnNames, BufferAllocator allocator) {
        if (tensor.dim() != 2) {
            throw new IllegalArgumentException("toRoot: expected a 2-D tensor [rows, columns], got shape "
                    + tensor.shape());
        }
        if (columnNames.size() != tensor.size(1)) {
            throw new IllegalArgumentException("toRoot: " + columnNames.size() + " column names " + columnNames
                    + " for a tensor with " + tensor.size(1) + " columns (shape " + tensor.shape() + ")");
        }
        SharedMemory.checkAllocator(allocator, "toRoot");
        long rows = tensor.size(0);
        if (rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("toRoot: " + rows + " rows exceed the " + Integer.MAX_VALUE
                    + " values an Arrow Java vector can hold");
        }
        Node h = SharedMemory.host(tensor, "toRoot");
        List<FieldVector> vectors = new ArrayList<>();
        try {
            if (tensor.dtype() == DType.BOOL) {
                for (int j = 0; j < columnNames.size(); j++) {
                    vectors.add(ArrowVectors.toVector(Tensor.of(h).select(1, j), columnNames.get(j), allocator));
                }
            } else {
                long colStride;
                if (rows <= 1 || h.strides()[0] == 1) {
                    colStride = h.strides()[1];
                } else {
                    h = Tensor.of(h).t().contiguous().node(); // [columns, rows], row-major: one transposing copy
                    colStride = rows;
                }
                for (int j = 0; j < columnNames.size(); j++) {
                    FieldVector v = ArrowLayouts.newVector(columnNames.get(j), tensor.dtype(), allocator);
                    vectors.add(v);
                    ArrowVectors.load(v, SharedMemory.slice(h, h.offset() + j * colStride, rows), (int) rows,
                            allocator);
                }
            }
            return new VectorSchemaRoot(vectors);
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
    }

    /** {@link #fromRoot(VectorSchemaRoot, Number)} for tables without nulls. */
    public static TableTensor fromRoot(VectorSchemaRoot root) {
        return fromRoot(root, null);
    }

    /**
     * The table's columns as a {@code [rows, columns]} tensor, with their names; a strided view
     * of the table's memory when the layout allows (see the class comment), a column-major copy
     * otherwise.
     *
     * @param nullFill the value for nulls, or null to refuse them
     * @throws TesseraIOException for a table without columns, a column of an unsupported type
     *     (named in the message), a column whose length differs from the row count, or nulls
     *     without a fill value
     */
    public static TableTensor fromRoot(VectorSchemaRoot root, Number nullFill) {
        List<FieldVector> cols = root.getFieldVectors();
        String source = "Arrow table " + root.getSchema().getFields().stream().map(f -> f.getName()).toList();
        if (cols.isEmpty()) {
            throw new TesseraIOException(source, "has no columns");
        }
        int rows = root.getRowCount();
        List<String> names = new ArrayList<>();
        DType common = null;
        boolean sameType = true;
        for (FieldVector v : cols) {
            DType d = ArrowLayouts.dtypeOf(v.getField().getType());
            if (d == null) {
                throw new TesseraIOException(source, "column '" + v.getName() + "' has unsupported type "
                        + v.getField().getType() + "; supported: " + ArrowLayouts.SUPPORTED);
            }
            if (v.getValueCount() < rows) {
                throw new TesseraIOException(source, "column '" + v.getName() + "' holds " + v.getValueCount()
                        + " values but the table has " + rows + " rows");
            }
            long firstNull = VectorCopies.firstNull(v, rows);
            if (firstNull >= 0 && nullFill == null) {
                throw new TesseraIOException(source, "column '" + v.getName() + "' has a null at row " + firstNull
                        + "; a tensor cannot hold nulls: pass a fill value to fromRoot(root, fill)");
            }
            sameType &= common == null || common == d;
            common = common == null ? d : DType.promote(common, d);
            names.add(v.getName());
            VectorCopies.dataBuffer(v, d, rows, source + " column '" + v.getName() + "'");
        }
        Tensor view = sameType ? view(cols, rows, common, source) : null;
        return new TableTensor(view != null ? view : copy(cols, rows, common, nullFill, source), names);
    }

    /** A strided view when every column is in one buffer at a constant spacing; else null. */
    private static Tensor view(List<FieldVector> cols, int rows, DType dtype, String source) {
        if (dtype == DType.BOOL || rows == 0) {
            return null;
        }
        for (FieldVector v : cols) {
            if (v.getNullCount() > 0) {
                return null;
            }
        }
        ArrowBuf first = cols.get(0).getDataBuffer();
        ReferenceManager owner = first.getReferenceManager();
        long esize = dtype.byteSize();
        long spacing = cols.size() > 1 ? cols.get(1).getDataBuffer().memoryAddress() - first.memoryAddress() : 0;
        if (spacing < 0 || spacing % esize != 0) {
            return null;
        }
        for (int j = 0; j < cols.size(); j++) {
            ArrowBuf b = cols.get(j).getDataBuffer();
            if (b.getReferenceManager() != owner || b.memoryAddress() != first.memoryAddress() + j * spacing) {
                return null;
            }
        }
        // every column lies in the same allocation, so the span from the first to the last is valid memory
        long span = (cols.size() - 1) * spacing + rows * esize;
        ArrowBuf region = owner.deriveBuffer(first, 0, span);
        return SharedMemory.wrap(region, span, Shape.of(rows, cols.size()), dtype, new long[] {1, spacing / esize},
                source);
    }

    private static Tensor copy(List<FieldVector> cols, int rows, DType dtype, Number fill, String source) {
        long esize = dtype.byteSize();
        Storage s = Storage.allocate((long) rows * cols.size() * esize, source);
        try {
            for (int j = 0; j < cols.size(); j++) {
                Tensor c = ArrowVectors.fromVector(cols.get(j), fill);
                if (c.numel() > rows) {
                    c = c.narrow(0, 0, rows);
                }
                Node n = c.to(dtype).contiguous().node();
                if (rows == 0) {
                    continue;
                }
                Storage pinned = n.storage().pin(); // a converted copy is referenced by nothing else
                try {
                    Memory.copy(n.address(), s.address() + j * rows * esize, rows * esize);
                } finally {
                    pinned.unpin();
                }
            }
        } catch (RuntimeException e) {
            s.release();
            throw e;
        }
        return Creation.fromStorage(s, Shape.of(rows, cols.size()), dtype, 0, new long[] {1, rows});
    }
}

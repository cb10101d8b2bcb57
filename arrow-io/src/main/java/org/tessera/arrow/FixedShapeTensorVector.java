package org.tessera.arrow;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.hash.ArrowBufHasher;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * A column of {@code arrow.fixed_shape_tensor} values over its {@code FixedSizeList} storage.
 * Make one from a tensor with {@link TensorColumns#toVector} and read it back with
 * {@link TensorColumns#fromVector}; Arrow's IPC readers create one for such columns.
 */
public final class FixedShapeTensorVector extends ExtensionTypeVector<FixedSizeListVector> {
    private final FixedShapeTensorType type;
    private final boolean nullable;

    /** A vector of {@code type} over {@code storage} (which it owns and closes). */
    public FixedShapeTensorVector(String name, BufferAllocator allocator, FixedShapeTensorType type, boolean nullable,
                                  FixedSizeListVector storage) {
        super(name, allocator, storage);
        this.type = type;
        this.nullable = nullable;
    }

    /** The column's type: shape, dim names and permutation of every value. */
    public FixedShapeTensorType type() {
        return type;
    }

    /** The extension field (name, type, child), so that schemas and IPC writers keep the metadata. */
    @Override
    public Field getField() {
        List<Field> children = getUnderlyingVector().getField().getChildren();
        return new Field(getName(), new FieldType(nullable, type, null), children);
    }

    /** The value at {@code index} as the storage's list of elements (physical order), or null. */
    @Override
    public Object getObject(int index) {
        return getUnderlyingVector().getObject(index);
    }

    @Override
    public int hashCode(int index) {
        return getUnderlyingVector().hashCode(index);
    }

    @Override
    public int hashCode(int index, ArrowBufHasher hasher) {
        return getUnderlyingVector().hashCode(index, hasher);
    }
}

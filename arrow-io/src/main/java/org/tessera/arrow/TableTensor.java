package org.tessera.arrow;

import java.util.List;
import org.tessera.Tensor;

/**
 * A 2-D tensor read from an Arrow table, with the names of its columns.
 *
 * @param tensor shape {@code [rows, columns]}
 * @param columnNames one name per column, in order
 */
public record TableTensor(Tensor tensor, List<String> columnNames) {
    /** Checks that there is one name per column and copies the names. */
    public TableTensor {
        if (tensor.dim() != 2 || tensor.size(1) != columnNames.size()) {
            throw new IllegalArgumentException("TableTensor: " + columnNames.size() + " column names for a tensor of"
                    + " shape " + tensor.shape() + "; expected a 2-D tensor with one name per column");
        }
        columnNames = List.copyOf(columnNames);
    }
}

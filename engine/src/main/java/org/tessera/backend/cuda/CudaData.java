package org.tessera.backend.cuda;

import org.tessera.DType;
import org.tessera.Shape;

/**
 * The data of a node realized on a CUDA device: a strided view (offset and strides in elements)
 * of a device buffer. It is the node's {@link org.tessera.graph.Node#remote()} handle.
 *
 * @param buffer the device memory, one reference of which the node holds
 * @param offset element [0, 0, …] in elements from the buffer start
 * @param strides strides in elements
 */
record CudaData(DeviceBuffer buffer, long offset, long[] strides) {
    /** The device address of element [0, 0, …]. */
    long address(DType t) {
        return buffer.address() + offset * t.byteSize();
    }

    /** Whether the view is row-major contiguous for {@code shape}. */
    boolean isContiguous(Shape shape) {
        long[] c = shape.contiguousStrides();
        for (int i = 0; i < c.length; i++) {
            if (shape.dims()[i] != 1 && c[i] != strides[i]) {
                return false;
            }
        }
        return true;
    }
}

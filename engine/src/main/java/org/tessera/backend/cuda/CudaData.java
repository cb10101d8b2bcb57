package org.tessera.backend.cuda;

import java.lang.ref.Cleaner;
import org.tessera.DType;
import org.tessera.Shape;

/**
 * The data of a node realized on a CUDA device: a strided view (offset and strides in elements)
 * of a device buffer. It is the node's {@link org.tessera.graph.Node#remote()} handle.
 *
 * @param buffer the device memory, one reference of which the node holds
 * @param offset element [0, 0, …] in elements from the buffer start
 * @param strides strides in elements
 * @param hold the node's reference on the buffer, dropped once: when the node becomes
 *     unreachable or, earlier, when {@link CudaBackend#free} is called
 */
record CudaData(DeviceBuffer buffer, long offset, long[] strides, Hold hold) {
    /** A view whose reference on {@code buffer} is not yet tied to a node. */
    CudaData(DeviceBuffer buffer, long offset, long[] strides) {
        this(buffer, offset, strides, new Hold());
    }

    /**
     * One node's reference on a device buffer. It is dropped exactly once: by the cleaner when
     * the node becomes unreachable, or by {@link #free()} before that.
     */
    static final class Hold {
        private Cleaner.Cleanable cleanable;
        private boolean freed;

        /** Ties the reference to the cleaner registration that drops it when the node is unreachable. */
        synchronized void set(Cleaner.Cleanable c) {
            if (freed) {
                c.clean();
            } else {
                cleanable = c;
            }
        }

        /** Drops the reference now (at most once; the cleaner then has nothing left to do). */
        void free() {
            Cleaner.Cleanable c;
            synchronized (this) {
                if (freed) {
                    return;
                }
                freed = true;
                c = cleanable;
                cleanable = null;
            }
            if (c != null) {
                c.clean();
            }
        }

        synchronized boolean isFreed() {
            return freed;
        }
    }

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

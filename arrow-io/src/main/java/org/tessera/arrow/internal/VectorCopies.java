package org.tessera.arrow.internal;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.tessera.DType;
import org.tessera.arrow.TesseraIOException;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;

/** Copies of primitive Arrow vectors into tensor storage, for the layouts that cannot be shared. */
public final class VectorCopies {
    private VectorCopies() {
    }

    /**
     * Checks that the data buffer of {@code v} holds {@code n} values of {@code dtype}; returns it.
     */
    public static ArrowBuf dataBuffer(FieldVector v, DType dtype, long n, String source) {
        ArrowBuf data = v.getDataBuffer();
        long need = ArrowLayouts.dataBytes(dtype, n);
        if (need < 0 || data.capacity() < need) {
            throw new TesseraIOException(source, "the data buffer holds " + data.capacity() + " bytes but " + n
                    + " " + dtype + " values need " + need + "; the vector's length does not match its buffer");
        }
        return data;
    }

    /** The index of the first null among the first {@code n} values of {@code v}, or -1. */
    public static long firstNull(FieldVector v, long n) {
        if (v.getNullCount() == 0) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (v.isNull(i)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The first {@code n} values of {@code v} in a new contiguous storage, nulls replaced by
     * {@code fill}.
     */
    public static Storage copy(FieldVector v, DType dtype, long n, Number fill, String source) {
        ArrowBuf data = dataBuffer(v, dtype, n, source);
        Storage s = Storage.allocate(n * dtype.byteSize(), source);
        try {
            if (n > 0) {
                if (dtype == DType.BOOL) {
                    Bits.unpack(data.memoryAddress(), s.address(), n);
                } else {
                    Memory.copy(data.memoryAddress(), s.address(), n * dtype.byteSize());
                }
            }
            if (v.getNullCount() > 0) {
                for (int i = 0; i < n; i++) {
                    if (v.isNull(i)) {
                        SharedMemory.put(s.address() + (long) i * dtype.byteSize(), dtype, fill);
                    }
                }
            }
            return s;
        } catch (RuntimeException e) {
            s.release();
            throw e;
        }
    }
}

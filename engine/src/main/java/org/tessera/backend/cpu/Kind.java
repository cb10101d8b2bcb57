package org.tessera.backend.cpu;

import org.tessera.DType;

/**
 * The Java array type a CPU kernel computes in: float32 in {@code float[]}, float64 in
 * {@code double[]}, and int32, int64 and bool in {@code long[]} (narrowed again on store).
 */
enum Kind {
    F32, F64, I64;

    static Kind of(DType t) {
        return switch (t) {
            case FLOAT32 -> F32;
            case FLOAT64 -> F64;
            default -> I64;
        };
    }

    Object newTile(int n) {
        return switch (this) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I64 -> new long[n];
        };
    }
}

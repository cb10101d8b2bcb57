package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.memory.Memory;

/**
 * Moves runs of equally spaced elements between off-heap memory and tile arrays, widening
 * int32 and bool to {@code long} on the way in and narrowing them on the way out.
 */
final class Runs {
    private Runs() {
    }

    /** Reads {@code n} elements at {@code addr}, {@code strideBytes} apart, into {@code tile[off..]}. */
    static void read(DType t, long addr, long strideBytes, int n, Object tile, int off) {
        switch (t) {
            case FLOAT32 -> {
                float[] d = (float[]) tile;
                if (strideBytes == 4) {
                    Memory.getFloats(addr, d, off, n);
                } else if (strideBytes == 0) {
                    java.util.Arrays.fill(d, off, off + n, Memory.getFloat(addr));
                } else {
                    for (int i = 0; i < n; i++) {
                        d[off + i] = Memory.getFloat(addr + i * strideBytes);
                    }
                }
            }
            case FLOAT64 -> {
                double[] d = (double[]) tile;
                if (strideBytes == 8) {
                    Memory.getDoubles(addr, d, off, n);
                } else if (strideBytes == 0) {
                    java.util.Arrays.fill(d, off, off + n, Memory.getDouble(addr));
                } else {
                    for (int i = 0; i < n; i++) {
                        d[off + i] = Memory.getDouble(addr + i * strideBytes);
                    }
                }
            }
            case INT64 -> {
                long[] d = (long[]) tile;
                if (strideBytes == 8) {
                    Memory.getLongs(addr, d, off, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        d[off + i] = Memory.getLong(addr + i * strideBytes);
                    }
                }
            }
            case INT32 -> {
                long[] d = (long[]) tile;
                for (int i = 0; i < n; i++) {
                    d[off + i] = Memory.getInt(addr + i * strideBytes);
                }
            }
            case BOOL -> {
                long[] d = (long[]) tile;
                for (int i = 0; i < n; i++) {
                    d[off + i] = Memory.getByte(addr + i * strideBytes);
                }
            }
            default -> throw new IllegalStateException("unsupported dtype " + t);
        }
    }

    /** Writes {@code tile[off..off+n)} to {@code n} elements at {@code addr}, {@code strideBytes} apart. */
    static void write(DType t, long addr, long strideBytes, int n, Object tile, int off) {
        switch (t) {
            case FLOAT32 -> {
                float[] d = (float[]) tile;
                if (strideBytes == 4) {
                    Memory.putFloats(addr, d, off, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        Memory.putFloat(addr + i * strideBytes, d[off + i]);
                    }
                }
            }
            case FLOAT64 -> {
                double[] d = (double[]) tile;
                if (strideBytes == 8) {
                    Memory.putDoubles(addr, d, off, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        Memory.putDouble(addr + i * strideBytes, d[off + i]);
                    }
                }
            }
            case INT64 -> {
                long[] d = (long[]) tile;
                if (strideBytes == 8) {
                    Memory.putLongs(addr, d, off, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        Memory.putLong(addr + i * strideBytes, d[off + i]);
                    }
                }
            }
            case INT32 -> {
                long[] d = (long[]) tile;
                for (int i = 0; i < n; i++) {
                    Memory.putInt(addr + i * strideBytes, (int) d[off + i]);
                }
            }
            case BOOL -> {
                long[] d = (long[]) tile;
                for (int i = 0; i < n; i++) {
                    Memory.putByte(addr + i * strideBytes, (byte) (d[off + i] != 0 ? 1 : 0));
                }
            }
            default -> throw new IllegalStateException("unsupported dtype " + t);
        }
    }
}

package org.tessera.arrow.internal;

/**
 * Joins CRC-32C values of consecutive byte ranges, so that parts of a long buffer can be
 * checksummed by several threads and give the checksum of the whole.
 *
 * <p>{@code combine(crc(A), crc(B), |B|)} equals {@code crc(A B)}: appending {@code |B|} zero
 * bytes to {@code A} is a linear map of its CRC register, applied here as a 32×32 matrix over
 * GF(2) raised to the power {@code |B|} by repeated squaring (the method zlib uses for CRC-32,
 * with the Castagnoli polynomial).
 */
public final class Crc32c {
    /** The CRC-32C polynomial, bit-reversed (as {@link java.util.zip.CRC32C} computes). */
    private static final long POLY = 0x82F63B78L;

    private Crc32c() {
    }

    /** The CRC-32C of {@code A} followed by {@code B}, from {@code crc(A)}, {@code crc(B)} and the length of B. */
    public static long combine(long crcA, long crcB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("combine: length " + lengthB + "; expected 0 or more");
        }
        if (lengthB == 0) {
            return crcA;
        }
        long[] even = new long[32];
        long[] odd = new long[32];
        odd[0] = POLY; // the operator for one zero bit
        long row = 1;
        for (int n = 1; n < 32; n++) {
            odd[n] = row;
            row <<= 1;
        }
        square(even, odd); // two zero bits
        square(odd, even); // four zero bits
        long crc = crcA;
        long len = lengthB;
        do {
            square(even, odd); // first pass: one zero byte; then 2, 4, ... bytes
            if ((len & 1) != 0) {
                crc = times(even, crc);
            }
            len >>>= 1;
            if (len == 0) {
                break;
            }
            square(odd, even);
            if ((len & 1) != 0) {
                crc = times(odd, crc);
            }
            len >>>= 1;
        } while (len != 0);
        return (crc ^ crcB) & 0xffffffffL;
    }

    private static long times(long[] matrix, long vector) {
        long sum = 0;
        for (int i = 0; vector != 0; i++, vector >>>= 1) {
            if ((vector & 1) != 0) {
                sum ^= matrix[i];
            }
        }
        return sum;
    }

    private static void square(long[] out, long[] matrix) {
        for (int n = 0; n < 32; n++) {
            out[n] = times(matrix, matrix[n]);
        }
    }
}

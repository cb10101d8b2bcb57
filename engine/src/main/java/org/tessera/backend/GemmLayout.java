package org.tessera.backend;

/**
 * How a BLAS routine can read a rows×cols matrix in place: as stored or transposed, with its
 * leading dimension in elements.
 */
public record GemmLayout(boolean trans, long ld) {
    /**
     * The layout of a row-major-addressed matrix with the given strides, or null when BLAS
     * cannot read it without a copy.
     */
    public static GemmLayout of(long rows, long cols, long sRow, long sCol) {
        if (cols == 1 || sCol == 1) {
            long ld = rows == 1 ? Math.max(cols, 1) : sRow;
            if (ld >= Math.max(cols, 1)) {
                return new GemmLayout(false, ld);
            }
        }
        if (rows == 1 || sRow == 1) {
            long ld = cols == 1 ? Math.max(rows, 1) : sCol;
            if (ld >= Math.max(rows, 1)) {
                return new GemmLayout(true, ld);
            }
        }
        return null;
    }
}

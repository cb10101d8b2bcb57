package org.tessera.jobs.classify;

/**
 * The mini-batches of an epoch, a function of the seed, the epoch and the number of rows only (not
 * of how the rows are partitioned): the rows in the order of a seeded Fisher–Yates permutation, cut
 * into consecutive batches of the batch size (the last one may be smaller).
 */
final class Batches {
    private Batches() {
    }

    /** The permutation of rows {@code 0..n-1} of epoch {@code epoch} (from 0). */
    static int[] permutation(int n, long seed, int epoch) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch + 1);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The number of batches of an epoch of {@code n} rows. */
    static int count(int n, int batchSize) {
        return (n + batchSize - 1) / batchSize;
    }

    /**
     * The local numbers of the rows of batch {@code b} that {@code local} holds ({@code local[g]} is
     * the local number of global row g, or -1), in the permutation's order.
     */
    static int[] part(int[] perm, int b, int batchSize, int[] local) {
        int lo = b * batchSize;
        int hi = Math.min(perm.length, lo + batchSize);
        int m = 0;
        for (int i = lo; i < hi; i++) {
            if (local[perm[i]] >= 0) {
                m++;
            }
        }
        int[] out = new int[m];
        int j = 0;
        for (int i = lo; i < hi; i++) {
            int l = local[perm[i]];
            if (l >= 0) {
                out[j++] = l;
            }
        }
        return out;
    }

    /** The size of batch {@code b}. */
    static int size(int n, int b, int batchSize) {
        return Math.min(n, (b + 1) * batchSize) - b * batchSize;
    }
}

package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.graph.Op;

/**
 * Reductions over the middle axis of an {@code [A, R, C]} iteration, read a tile at a time
 * from a {@link TileSource} (realized data or an elementwise chain computed on the fly).
 *
 * <p>With {@code C == 1} each output reduces one run (split across threads when there are few
 * outputs); float32 sum, max and min fold each tile pairwise, and a float32 sum adds the tiles'
 * sums in float64. With {@code C > 1} whole rows are combined elementwise, which reads memory in
 * order and vectorizes; float32 rows are summed in float32 in blocks of 32 rows and the blocks in
 * float64. float32 products accumulate in float64.
 */
final class ReduceKernels {
    /** Elements per run or row segment; smaller than the fused tile so that rows split across threads. */
    private static final int TILE = 2048;

    private ReduceKernels() {
    }

    /**
     * Reduces {@code in} (contiguous, dtype {@code inType}) to {@code out} (contiguous {@code [A, C]},
     * dtype {@code outType}).
     */
    static void reduce(Op op, TileSource in, long a, long r, long c, DType outType, long out) {
        DType inType = in.dtype();
        if (op == Op.ARGMAX || op == Op.ARGMIN) {
            argReduce(op == Op.ARGMAX, in, a, r, c, out);
            return;
        }
        Kind acc = accumulatorKind(op, inType);
        int oes = outType.byteSize();
        if (c == 1 && a < Parallel.threads() && r >= 4L * TILE) {
            // few long runs: split each run across threads and combine the partials
            for (long i = 0; i < a; i++) {
                final long base = i * r;
                int parts = (int) Math.min(Parallel.threads(), r / TILE);
                Object partial = acc.newTile(parts);
                long per = (r + parts - 1) / parts;
                Parallel.forRange(parts, 1, 1, (ps, pe) -> {
                    TileSource.Reader reader = in.reader(TILE);
                    for (long p = ps; p < pe; p++) {
                        long s = p * per;
                        long e = Math.min(r, s + per);
                        store(acc, partial, (int) p, reduceRun(op, inType, reader, base + s, e - s, new float[TILE / 2], new float[TILE / 2]));
                    }
                });
                Object one = acc.newTile(1);
                store(acc, one, 0, combineAll(op, acc, partial, parts));
                Object o = Kind.of(outType).newTile(1);
                ElementwiseKernels.cast(acc, one, outType, o, 1);
                Runs.write(outType, out + i * oes, oes, 1, o, 0);
            }
            return;
        }
        if (c == 1) {
            Parallel.forRange(a, Math.max(1, 4L * TILE / Math.max(1, r)), 1, (s, e) -> {
                TileSource.Reader reader = in.reader(TILE);
                float[] s0 = new float[TILE / 2];
                float[] s1 = new float[TILE / 2];
                Object res = acc.newTile(1);
                Object o = Kind.of(outType).newTile(1);
                for (long i = s; i < e; i++) {
                    store(acc, res, 0, reduceRun(op, inType, reader, i * r, r, s0, s1));
                    ElementwiseKernels.cast(acc, res, outType, o, 1);
                    Runs.write(outType, out + i * oes, oes, 1, o, 0);
                }
            });
            return;
        }
        long blocks = (c + TILE - 1) / TILE;
        Parallel.forRange(a * blocks, 1, 1, (s, e) -> {
            TileSource.Reader reader = in.reader(TILE);
            Object wide = acc.newTile(TILE);
            Object accTile = acc.newTile(TILE);
            Object o = Kind.of(outType).newTile(TILE);
            float[] part = new float[TILE];
            for (long job = s; job < e; job++) {
                long i = job / blocks;
                long c0 = (job % blocks) * TILE;
                int len = (int) Math.min(TILE, c - c0);
                if (op == Op.SUM && inType == DType.FLOAT32) {
                    sumRowsF32(reader, (i * r) * c + c0, c, r, len, part, (double[]) accTile);
                    ElementwiseKernels.cast(acc, accTile, outType, o, len);
                    Runs.write(outType, out + (i * c + c0) * oes, oes, len, o, 0);
                    continue;
                }
                for (long k = 0; k < r; k++) {
                    Object tile = reader.read((i * r + k) * c + c0, len);
                    Object row = tile;
                    if (acc != Kind.of(inType)) {
                        ElementwiseKernels.cast(Kind.of(inType), tile, accType(acc), wide, len);
                        row = wide;
                    }
                    if (k == 0) {
                        System.arraycopy(row, 0, accTile, 0, len);
                    } else {
                        combineRows(op, acc, accTile, row, len);
                    }
                }
                ElementwiseKernels.cast(acc, accTile, outType, o, len);
                Runs.write(outType, out + (i * c + c0) * oes, oes, len, o, 0);
            }
        });
    }

    /** Rows summed in float32 before each addition to the float64 sums: short float32 sums only. */
    private static final int ROW_BLOCK = 32;

    /**
     * Sums {@code r} float32 rows of {@code len} elements, the first at {@code start}, each
     * {@code c} after the previous, into {@code acc}: blocks of {@link #ROW_BLOCK} rows added in
     * float32 (a loop that vectorizes), each block's sum then added in float64.
     */
    private static void sumRowsF32(TileSource.Reader reader, long start, long c, long r, int len, float[] part,
            double[] acc) {
        java.util.Arrays.fill(acc, 0, len, 0d);
        for (long k0 = 0; k0 < r; k0 += ROW_BLOCK) {
            long k1 = Math.min(r, k0 + ROW_BLOCK);
            float[] first = (float[]) reader.read(start + k0 * c, len);
            System.arraycopy(first, 0, part, 0, len);
            for (long k = k0 + 1; k < k1; k++) {
                float[] x = (float[]) reader.read(start + k * c, len);
                for (int j = 0; j < len; j++) {
                    part[j] += x[j];
                }
            }
            for (int j = 0; j < len; j++) {
                acc[j] += part[j];
            }
        }
    }

    /** The first position in {@code x[0..n)} (float or double) holding {@code m}, or the first NaN if m is NaN. */
    private static int firstIndexOf(Object x, int n, double m) {
        int q = 0;
        if (x instanceof float[] f) {
            if (m != m) {
                while (f[q] == f[q]) {
                    q++;
                }
            } else {
                while (f[q] != m) {
                    q++;
                }
            }
            return q;
        }
        double[] d = (double[]) x;
        if (m != m) {
            while (d[q] == d[q]) {
                q++;
            }
        } else {
            while (d[q] != m) {
                q++;
            }
        }
        return q;
    }

    /** Independent accumulators per run: the inner loops below are as wide as a few vector registers. */
    private static final int LANES = 32;

    /** The operation a pairwise fold applies. */
    private enum Fold { SUM, MAX, MIN }

    /**
     * Reduces {@code x[0..len)} pairwise: each level combines the two halves of the previous
     * one elementwise (a loop that vectorizes), alternating between two scratch arrays, until
     * {@link #LANES} values are left. For sums this is pairwise summation, so float32 stays accurate.
     */
    private static float fold(Fold f, float[] x, int len, float[] s0, float[] s1) {
        float[] src = x;
        float[] dst = s0;
        int n = len;
        while (n > LANES) {
            int h = n >>> 1;
            switch (f) {
                case SUM -> { for (int i = 0; i < h; i++) dst[i] = src[i] + src[i + h]; }
                case MAX -> { for (int i = 0; i < h; i++) dst[i] = Math.max(src[i], src[i + h]); }
                default -> { for (int i = 0; i < h; i++) dst[i] = Math.min(src[i], src[i + h]); }
            }
            if ((n & 1) != 0) {
                float last = src[n - 1];
                dst[0] = f == Fold.SUM ? dst[0] + last : f == Fold.MAX ? Math.max(dst[0], last) : Math.min(dst[0], last);
            }
            src = dst;
            dst = dst == s0 ? s1 : s0;
            n = h;
        }
        float r = f == Fold.SUM ? 0f : f == Fold.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            r = f == Fold.SUM ? r + src[i] : f == Fold.MAX ? Math.max(r, src[i]) : Math.min(r, src[i]);
        }
        return r;
    }

    /** The pairwise float32 sum of {@code x[0..len)}, widened to float64 (added to a float64 total). */
    private static double sumTile(float[] x, int len, float[] s0, float[] s1) {
        return fold(Fold.SUM, x, len, s0, s1);
    }

    /** The largest of {@code x[0..len)}, NaN if any is NaN (len >= 1). */
    private static float maxTile(float[] x, int len, float[] s0, float[] s1) {
        return fold(Fold.MAX, x, len, s0, s1);
    }

    /** The smallest of {@code x[0..len)}, NaN if any is NaN (len >= 1). */
    private static float minTile(float[] x, int len, float[] s0, float[] s1) {
        return fold(Fold.MIN, x, len, s0, s1);
    }

    /** The sum of {@code x[0..len)} with {@link #LANES} independent float64 accumulators. */
    private static double sumTile(double[] x, int len, double[] lanes) {
        java.util.Arrays.fill(lanes, 0d);
        int full = len - len % LANES;
        for (int i = 0; i < full; i += LANES) {
            for (int k = 0; k < LANES; k++) {
                lanes[k] += x[i + k];
            }
        }
        double s = 0;
        for (int k = 0; k < LANES; k++) {
            s += lanes[k];
        }
        for (int i = full; i < len; i++) {
            s += x[i];
        }
        return s;
    }

    private static Kind accumulatorKind(Op op, DType in) {
        if ((op == Op.SUM || op == Op.PROD) && in == DType.FLOAT32) {
            return Kind.F64;
        }
        return Kind.of(in);
    }

    private static DType accType(Kind k) {
        return switch (k) {
            case F32 -> DType.FLOAT32;
            case F64 -> DType.FLOAT64;
            case I64 -> DType.INT64;
        };
    }

    private static void store(Kind k, Object tile, int i, Object boxed) {
        switch (k) {
            case F32 -> ((float[]) tile)[i] = ((Number) boxed).floatValue();
            case F64 -> ((double[]) tile)[i] = ((Number) boxed).doubleValue();
            case I64 -> ((long[]) tile)[i] = ((Number) boxed).longValue();
        }
    }

    /** Reduces one contiguous run; returns a Double (float kinds) or Long. */
    private static Object reduceRun(Op op, DType t, TileSource.Reader reader, long first, long n, float[] s0,
            float[] s1) {
        switch (Kind.of(t)) {
            case F32 -> {
                double total = op == Op.PROD ? 1 : 0;
                float m = op == Op.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    float[] x = (float[]) reader.read(first + off, len);
                    switch (op) {
                        case SUM -> total += sumTile(x, len, s0, s1);
                        case PROD -> { for (int i = 0; i < len; i++) total *= x[i]; }
                        case MAX -> m = Math.max(m, maxTile(x, len, s0, s1));
                        case MIN -> m = Math.min(m, minTile(x, len, s0, s1));
                        default -> throw new IllegalStateException(op.toString());
                    }
                }
                return op == Op.SUM || op == Op.PROD ? total : (double) m;
            }
            case F64 -> {
                double p0 = op == Op.PROD ? 1 : 0;
                double m = op == Op.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                double[] lanes = new double[LANES];
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    double[] x = (double[]) reader.read(first + off, len);
                    switch (op) {
                        case SUM -> p0 += sumTile(x, len, lanes);
                        case PROD -> { for (int i = 0; i < len; i++) p0 *= x[i]; }
                        case MAX -> { for (int i = 0; i < len; i++) m = Math.max(m, x[i]); }
                        case MIN -> { for (int i = 0; i < len; i++) m = Math.min(m, x[i]); }
                        default -> throw new IllegalStateException(op.toString());
                    }
                }
                return op == Op.SUM || op == Op.PROD ? (Object) p0 : (Object) m;
            }
            default -> {
                long s = op == Op.PROD ? 1 : 0;
                long m = op == Op.MAX ? Long.MIN_VALUE : Long.MAX_VALUE;
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    long[] x = (long[]) reader.read(first + off, len);
                    switch (op) {
                        case SUM -> { for (int i = 0; i < len; i++) s += x[i]; }
                        case PROD -> { for (int i = 0; i < len; i++) s *= x[i]; }
                        case MAX -> { for (int i = 0; i < len; i++) m = Math.max(m, x[i]); }
                        case MIN -> { for (int i = 0; i < len; i++) m = Math.min(m, x[i]); }
                        default -> throw new IllegalStateException(op.toString());
                    }
                }
                return (op == Op.SUM || op == Op.PROD) ? (Object) s : (Object) m;
            }
        }
    }

    private static Object combineAll(Op op, Kind k, Object partial, int n) {
        switch (k) {
            case F32, F64 -> {
                double r = k == Kind.F32 ? ((float[]) partial)[0] : ((double[]) partial)[0];
                for (int i = 1; i < n; i++) {
                    double v = k == Kind.F32 ? ((float[]) partial)[i] : ((double[]) partial)[i];
                    r = switch (op) {
                        case SUM -> r + v;
                        case PROD -> r * v;
                        case MAX -> Math.max(r, v);
                        default -> Math.min(r, v);
                    };
                }
                return r;
            }
            default -> {
                long[] p = (long[]) partial;
                long r = p[0];
                for (int i = 1; i < n; i++) {
                    r = switch (op) {
                        case SUM -> r + p[i];
                        case PROD -> r * p[i];
                        case MAX -> Math.max(r, p[i]);
                        default -> Math.min(r, p[i]);
                    };
                }
                return r;
            }
        }
    }

    private static void combineRows(Op op, Kind k, Object acc, Object row, int n) {
        switch (k) {
            case F32 -> {
                float[] a = (float[]) acc, x = (float[]) row;
                switch (op) {
                    case SUM -> { for (int i = 0; i < n; i++) a[i] += x[i]; }
                    case PROD -> { for (int i = 0; i < n; i++) a[i] *= x[i]; }
                    case MAX -> { for (int i = 0; i < n; i++) a[i] = Math.max(a[i], x[i]); }
                    default -> { for (int i = 0; i < n; i++) a[i] = Math.min(a[i], x[i]); }
                }
            }
            case F64 -> {
                double[] a = (double[]) acc, x = (double[]) row;
                switch (op) {
                    case SUM -> { for (int i = 0; i < n; i++) a[i] += x[i]; }
                    case PROD -> { for (int i = 0; i < n; i++) a[i] *= x[i]; }
                    case MAX -> { for (int i = 0; i < n; i++) a[i] = Math.max(a[i], x[i]); }
                    default -> { for (int i = 0; i < n; i++) a[i] = Math.min(a[i], x[i]); }
                }
            }
            case I64 -> {
                long[] a = (long[]) acc, x = (long[]) row;
                switch (op) {
                    case SUM -> { for (int i = 0; i < n; i++) a[i] += x[i]; }
                    case PROD -> { for (int i = 0; i < n; i++) a[i] *= x[i]; }
                    case MAX -> { for (int i = 0; i < n; i++) a[i] = Math.max(a[i], x[i]); }
                    default -> { for (int i = 0; i < n; i++) a[i] = Math.min(a[i], x[i]); }
                }
            }
        }
    }

    /** Index of the first maximum (minimum) along R; NaN counts as the largest, as in PyTorch. */
    private static void argReduce(boolean max, TileSource in, long a, long r, long c, long out) {
        DType t = in.dtype();
        boolean integral = Kind.of(t) == Kind.I64;
        long blocks = (c + TILE - 1) / TILE;
        Parallel.forRange(a * blocks, 1, 1, (s, e) -> {
            TileSource.Reader reader = in.reader(TILE);
            float[] s0 = new float[TILE / 2];
            float[] s1 = new float[TILE / 2];
            float[] fBest = new float[TILE];
            double[] dBest = new double[TILE];
            long[] lBest = new long[TILE];
            long[] idx = new long[TILE];
            for (long job = s; job < e; job++) {
                long i = job / blocks;
                long c0 = (job % blocks) * TILE;
                int len = (int) Math.min(TILE, c - c0);
                if (c == 1) {
                    // one long contiguous run
                    long best = 0;
                    double bd = 0;
                    long bl = 0;
                    for (long off = 0; off < r; off += TILE) {
                        int n = (int) Math.min(TILE, r - off);
                        Object raw = reader.read(i * r + off, n);
                        if (integral) {
                            long[] x = (long[]) raw;
                            for (int q = 0; q < n; q++) {
                                if ((off == 0 && q == 0) || (max ? x[q] > bl : x[q] < bl)) {
                                    bl = x[q];
                                    best = off + q;
                                }
                            }
                        } else {
                            // the tile's extreme by a branch-free pass (NaN propagates), then a
                            // search for its first position only when it improves on the best so far
                            double m;
                            if (raw instanceof float[] fx) {
                                m = max ? maxTile(fx, n, s0, s1) : minTile(fx, n, s0, s1);
                            } else {
                                double[] dx = (double[]) raw;
                                m = dx[0];
                                for (int q = 1; q < n; q++) {
                                    m = max ? Math.max(m, dx[q]) : Math.min(m, dx[q]);
                                }
                            }
                            boolean first = off == 0;
                            boolean better = first || (bd == bd && (m != m || (max ? m > bd : m < bd)));
                            if (better) {
                                bd = m;
                                best = off + firstIndexOf(raw, n, m);
                            }
                        }
                    }
                    org.tessera.memory.Memory.putLong(out + 8 * i, best);
                    continue;
                }
                for (long q = 0; q < r; q++) {
                    Object raw = reader.read((i * r + q) * c + c0, len);
                    if (integral) {
                        long[] x = (long[]) raw;
                        if (q == 0) {
                            System.arraycopy(x, 0, lBest, 0, len);
                            java.util.Arrays.fill(idx, 0, len, 0);
                            continue;
                        }
                        for (int j = 0; j < len; j++) {
                            if (max ? x[j] > lBest[j] : x[j] < lBest[j]) {
                                lBest[j] = x[j];
                                idx[j] = q;
                            }
                        }
                    } else if (raw instanceof float[] x) {
                        if (q == 0) {
                            System.arraycopy(x, 0, fBest, 0, len);
                            java.util.Arrays.fill(idx, 0, len, 0);
                            continue;
                        }
                        for (int j = 0; j < len; j++) {
                            float v = x[j];
                            float b = fBest[j];
                            if (b == b && (v != v || (max ? v > b : v < b))) {
                                fBest[j] = v;
                                idx[j] = q;
                            }
                        }
                    } else {
                        double[] dv = (double[]) raw;
                        if (q == 0) {
                            System.arraycopy(dv, 0, dBest, 0, len);
                            java.util.Arrays.fill(idx, 0, len, 0);
                            continue;
                        }
                        for (int j = 0; j < len; j++) {
                            double v = dv[j];
                            double b = dBest[j];
                            if (b == b && (v != v || (max ? v > b : v < b))) {
                                dBest[j] = v;
                                idx[j] = q;
                            }
                        }
                    }
                }
                org.tessera.memory.Memory.putLongs(out + 8 * (i * c + c0), idx, 0, len);
            }
        });
    }
}

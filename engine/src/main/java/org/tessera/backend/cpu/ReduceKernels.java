package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.graph.Op;

/**
 * Reductions over the middle axis of a contiguous {@code [A, R, C]} view.
 *
 * <p>With {@code C == 1} each output reduces one contiguous run (split across threads when
 * there are few outputs). With {@code C > 1} whole rows are combined elementwise, which reads
 * memory in order and vectorizes. float32 sums and products accumulate in float64.
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
                        store(acc, partial, (int) p, reduceRun(op, inType, reader, base + s, e - s));
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
                Object res = acc.newTile(1);
                Object o = Kind.of(outType).newTile(1);
                for (long i = s; i < e; i++) {
                    store(acc, res, 0, reduceRun(op, inType, reader, i * r, r));
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
            for (long job = s; job < e; job++) {
                long i = job / blocks;
                long c0 = (job % blocks) * TILE;
                int len = (int) Math.min(TILE, c - c0);
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
    private static Object reduceRun(Op op, DType t, TileSource.Reader reader, long first, long n) {
        switch (Kind.of(t)) {
            case F32 -> {
                // eight independent chains: a single accumulator would wait on add latency
                double[] sums = new double[8];
                float[] m = new float[8];
                java.util.Arrays.fill(sums, op == Op.PROD ? 1 : 0);
                java.util.Arrays.fill(m, op == Op.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    float[] x = (float[]) reader.read(first + off, len);
                    int full = len & ~7;
                    switch (op) {
                        case SUM -> {
                            for (int i = 0; i < full; i += 8) {
                                for (int k = 0; k < 8; k++) sums[k] += x[i + k];
                            }
                            for (int i = full; i < len; i++) sums[0] += x[i];
                        }
                        case PROD -> { for (int i = 0; i < len; i++) sums[0] *= x[i]; }
                        case MAX -> {
                            for (int i = 0; i < full; i += 8) {
                                for (int k = 0; k < 8; k++) m[k] = Math.max(m[k], x[i + k]);
                            }
                            for (int i = full; i < len; i++) m[0] = Math.max(m[0], x[i]);
                        }
                        case MIN -> {
                            for (int i = 0; i < full; i += 8) {
                                for (int k = 0; k < 8; k++) m[k] = Math.min(m[k], x[i + k]);
                            }
                            for (int i = full; i < len; i++) m[0] = Math.min(m[0], x[i]);
                        }
                        default -> throw new IllegalStateException(op.toString());
                    }
                }
                if (op == Op.SUM) {
                    return ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
                }
                if (op == Op.PROD) {
                    return sums[0];
                }
                float r = m[0];
                for (int k = 1; k < 8; k++) {
                    r = op == Op.MAX ? Math.max(r, m[k]) : Math.min(r, m[k]);
                }
                return (double) r;
            }
            case F64 -> {
                double s0 = op == Op.PROD ? 1 : 0, s1 = s0, s2 = s0, s3 = s0;
                double m = op == Op.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    double[] x = (double[]) reader.read(first + off, len);
                    switch (op) {
                        case SUM -> {
                            int i = 0;
                            for (; i + 3 < len; i += 4) {
                                s0 += x[i];
                                s1 += x[i + 1];
                                s2 += x[i + 2];
                                s3 += x[i + 3];
                            }
                            for (; i < len; i++) s0 += x[i];
                        }
                        case PROD -> { for (int i = 0; i < len; i++) s0 *= x[i]; }
                        case MAX -> { for (int i = 0; i < len; i++) m = Math.max(m, x[i]); }
                        case MIN -> { for (int i = 0; i < len; i++) m = Math.min(m, x[i]); }
                        default -> throw new IllegalStateException(op.toString());
                    }
                }
                return op == Op.SUM ? (Object) ((s0 + s1) + (s2 + s3)) : op == Op.PROD ? (Object) s0 : (Object) m;
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
        DType wideType = integral ? DType.INT64 : DType.FLOAT64;
        long blocks = (c + TILE - 1) / TILE;
        Parallel.forRange(a * blocks, 1, 1, (s, e) -> {
            TileSource.Reader reader = in.reader(TILE);
            double[] dv = new double[TILE];
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
                            ElementwiseKernels.cast(Kind.of(t), raw, wideType, dv, n);
                            double m = dv[0];
                            for (int q = 1; q < n; q++) {
                                m = max ? Math.max(m, dv[q]) : Math.min(m, dv[q]);
                            }
                            boolean first = off == 0;
                            boolean better = first || (bd == bd && (m != m || (max ? m > bd : m < bd)));
                            if (better) {
                                int q = 0;
                                if (m != m) {
                                    while (dv[q] == dv[q]) {
                                        q++;
                                    }
                                } else {
                                    while (dv[q] != m) {
                                        q++;
                                    }
                                }
                                bd = m;
                                best = off + q;
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
                    } else {
                        ElementwiseKernels.cast(Kind.of(t), raw, wideType, dv, len);
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

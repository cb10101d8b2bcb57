package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.graph.Op;
import org.tessera.memory.Memory;

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
            argReduce(op == Op.ARGMAX, in, a, r, c, out, 0);
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
                    Object scratch = Kind.of(inType).newTile(TILE);
                    for (long p = ps; p < pe; p++) {
                        long s = p * per;
                        long e = Math.min(r, s + per);
                        store(acc, partial, (int) p, reduceRun(op, inType, reader, base + s, e - s, scratch));
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
        // tiles no longer than a run (c == 1) or a row: a small reduction allocates little
        int tile = (int) Math.max(1, Math.min(TILE, c == 1 ? r : c));
        if (c == 1) {
            Parallel.forRange(a, Math.max(1, 4L * TILE / Math.max(1, r)), 1, (s, e) -> {
                TileSource.Reader reader = in.reader(tile);
                Object scratch = Kind.of(inType).newTile(tile);
                Object res = acc.newTile(1);
                Object o = Kind.of(outType).newTile(1);
                for (long i = s; i < e; i++) {
                    store(acc, res, 0, reduceRun(op, inType, reader, i * r, r, scratch));
                    ElementwiseKernels.cast(acc, res, outType, o, 1);
                    Runs.write(outType, out + i * oes, oes, 1, o, 0);
                }
            });
            return;
        }
        long blocks = (c + TILE - 1) / TILE;
        Parallel.forRange(a * blocks, 1, 1, (s, e) -> {
            TileSource.Reader reader = in.reader(tile);
            Object wide = acc.newTile(tile);
            Object accTile = acc.newTile(tile);
            Object o = Kind.of(outType).newTile(tile);
            float[] part = new float[tile];
            float[] scratch = new float[tile];
            ReduceLoops loops = ReduceLoops.get();
            for (long job = s; job < e; job++) {
                long i = job / blocks;
                long c0 = (job % blocks) * TILE;
                int len = (int) Math.min(TILE, c - c0);
                if (op == Op.SUM && inType == DType.FLOAT32) {
                    sumRowsF32(reader, (i * r) * c + c0, c, r, len, part, (double[]) accTile, scratch);
                    ElementwiseKernels.cast(acc, accTile, outType, o, len);
                    Runs.write(outType, out + (i * c + c0) * oes, oes, len, o, 0);
                    continue;
                }
                long at = reader.address((i * r) * c + c0);
                if (at >= 0 && inType == DType.FLOAT32 && (op == Op.MAX || op == Op.MIN)) {
                    // float32 extremes of rows read in place
                    float[] a32 = (float[]) accTile;
                    Memory.getFloats(at, a32, 0, len);
                    for (long k = 1; k < r; k++) {
                        loops.extremeRows(op == Op.MAX, a32, at + 4 * k * c, len, scratch);
                    }
                    ElementwiseKernels.cast(acc, accTile, outType, o, len);
                    Runs.write(outType, out + (i * c + c0) * oes, oes, len, o, 0);
                    continue;
                }
                for (long k = 0; k < r; k++) {
                    Object read = reader.read((i * r + k) * c + c0, len);
                    Object row = read;
                    if (acc != Kind.of(inType)) {
                        ElementwiseKernels.cast(Kind.of(inType), read, accType(acc), wide, len);
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
            double[] acc, float[] scratch) {
        ReduceLoops loops = ReduceLoops.get();
        java.util.Arrays.fill(acc, 0, len, 0d);
        long at = reader.address(start);
        for (long k0 = 0; k0 < r; k0 += ROW_BLOCK) {
            long k1 = Math.min(r, k0 + ROW_BLOCK);
            if (at >= 0) {
                // rows read in place
                Memory.getFloats(at + 4 * k0 * c, part, 0, len);
                long k = k0 + 1;
                for (; k + 4 <= k1; k += 4) {
                    loops.addFourRows(part, at + 4 * k * c, 4 * c, len, scratch);
                }
                for (; k < k1; k++) {
                    loops.addRows(part, at + 4 * k * c, len, scratch);
                }
            } else {
                float[] first = (float[]) reader.read(start + k0 * c, len);
                System.arraycopy(first, 0, part, 0, len);
                for (long k = k0 + 1; k < k1; k++) {
                    loops.addRows(part, (float[]) reader.read(start + k * c, len), len);
                }
            }
            for (int j = 0; j < len; j++) {
                acc[j] += part[j];
            }
        }
    }

    /** The first position in {@code x[0..n)} holding {@code m}, or the first NaN if m is NaN. */
    private static int firstIndexOf(double[] d, double m) {
        int q = 0;
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

    /**
     * Reduces one contiguous run; returns a Double (float kinds) or Long. {@code scratch} is a tile
     * of {@code t}'s kind at least {@code min(n, TILE)} long, for the loops that copy what they read.
     */
    private static Object reduceRun(Op op, DType t, TileSource.Reader reader, long first, long n, Object scratch) {
        ReduceLoops loops = ReduceLoops.get();
        switch (Kind.of(t)) {
            case F32 -> {
                // small methods, each compiled with the profile of its own path
                long at = op == Op.PROD ? -1 : reader.address(first);
                return at >= 0 ? inPlaceF32(op, loops, at, n, (float[]) scratch) : tiledF32(op, loops, reader, first, n);
            }
            case F64 -> {
                double p0 = op == Op.PROD ? 1 : 0;
                double m = op == Op.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                long at = op == Op.SUM ? reader.address(first) : -1;
                if (at >= 0) {
                    // the run read in place (or through a copy on Java 17), tile by tile as below
                    double[] doubles = (double[]) scratch;
                    for (long off = 0; off < n; off += TILE) {
                        p0 += loops.sumDoubles(at + 8 * off, (int) Math.min(TILE, n - off), doubles);
                    }
                    return p0;
                }
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    double[] x = (double[]) reader.read(first + off, len);
                    switch (op) {
                        case SUM -> p0 += loops.sum(x, len);
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

    /** Sum, max or min of the float32 run at {@code at}, read in place tile by tile as {@link #tiledF32} reads. */
    private static double inPlaceF32(Op op, ReduceLoops loops, long at, long n, float[] scratch) {
        if (op == Op.SUM) {
            double total = 0;
            for (long off = 0; off < n; off += TILE) {
                total += loops.sum(at + 4 * off, (int) Math.min(TILE, n - off), scratch);
            }
            return total;
        }
        boolean max = op == Op.MAX;
        float m = max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        for (long off = 0; off < n; off += TILE) {
            int len = (int) Math.min(TILE, n - off);
            m = max ? Math.max(m, loops.max(at + 4 * off, len, scratch)) : Math.min(m, loops.min(at + 4 * off, len, scratch));
        }
        return m;
    }

    /** Sum, product, max or min of a float32 run read through {@code reader} (computed tile by tile when fused). */
    private static double tiledF32(Op op, ReduceLoops loops, TileSource.Reader reader, long first, long n) {
        if (op == Op.SUM) {
            double total = 0;
            for (long off = 0; off < n; off += TILE) {
                int len = (int) Math.min(TILE, n - off);
                total += reader.sumFloats(first + off, len, loops);
            }
            return total;
        }
        double total = 1;
        float m = op == Op.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        for (long off = 0; off < n; off += TILE) {
            int len = (int) Math.min(TILE, n - off);
            float[] x = (float[]) reader.read(first + off, len);
            switch (op) {
                case PROD -> { for (int i = 0; i < len; i++) total *= x[i]; }
                case MAX -> m = Math.max(m, loops.max(x, len));
                case MIN -> m = Math.min(m, loops.min(x, len));
                default -> throw new IllegalStateException(op.toString());
            }
        }
        return op == Op.PROD ? total : (double) m;
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
                    case SUM -> ReduceLoops.get().addRows(a, x, n);
                    case PROD -> { for (int i = 0; i < n; i++) a[i] *= x[i]; }
                    case MAX -> ReduceLoops.get().extremeRows(true, a, x, n);
                    default -> ReduceLoops.get().extremeRows(false, a, x, n);
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

    /**
     * Index of the first maximum (minimum) along R, written as int64 to {@code out}; NaN counts as
     * the largest, as in PyTorch. When {@code values} is not 0 the extremes themselves are written
     * there too (contiguous {@code [A, C]} of the input's dtype), from the same pass.
     */
    static void argReduce(boolean max, TileSource in, long a, long r, long c, long out, long values) {
        DType t = in.dtype();
        Kind kind = Kind.of(t);
        int es = t.byteSize();
        long blocks = (c + TILE - 1) / TILE;
        ReduceLoops loops = ReduceLoops.get();
        boolean intIndex = r <= Integer.MAX_VALUE;
        int tile = (int) Math.max(1, Math.min(TILE, c == 1 ? r : c));
        Parallel.forRange(a * blocks, c == 1 ? Math.max(1, 4L * TILE / Math.max(1, r)) : 1, 1, (s, e) -> {
            TileSource.Reader reader = in.reader(tile);
            Object best = kind.newTile(tile);
            long[] idx = new long[tile];
            int[] intIdx = new int[tile];
            float[] scratch = new float[tile];
            for (long job = s; job < e; job++) {
                long i = job / blocks;
                long c0 = (job % blocks) * TILE;
                int len = (int) Math.min(TILE, c - c0);
                if (c == 1) {
                    firstExtremeOfRun(max, kind, reader, i * r, r, loops, best, idx, scratch);
                    Memory.putLong(out + 8 * i, idx[0]);
                    if (values != 0) {
                        Runs.write(t, values + i * es, es, 1, best, 0);
                    }
                    continue;
                }
                Object first = reader.read((i * r) * c + c0, len);
                System.arraycopy(first, 0, best, 0, len);
                long at = reader.address((i * r) * c + c0);
                if (kind == Kind.F32 && intIndex && at >= 0) {
                    // rows read in place
                    java.util.Arrays.fill(intIdx, 0, len, 0);
                    for (long q = 1; q < r; q++) {
                        loops.extremeRowsWithIndex(max, (float[]) best, intIdx, at + 4 * q * c, len, (int) q, scratch);
                    }
                    for (int j = 0; j < len; j++) {
                        idx[j] = intIdx[j];
                    }
                } else if (kind == Kind.F32 && intIndex) {
                    java.util.Arrays.fill(intIdx, 0, len, 0);
                    for (long q = 1; q < r; q++) {
                        float[] x = (float[]) reader.read((i * r + q) * c + c0, len);
                        loops.extremeRowsWithIndex(max, (float[]) best, intIdx, x, len, (int) q);
                    }
                    for (int j = 0; j < len; j++) {
                        idx[j] = intIdx[j];
                    }
                } else {
                    java.util.Arrays.fill(idx, 0, len, 0);
                    for (long q = 1; q < r; q++) {
                        extremeRowsWithIndex(max, kind, best, idx, reader.read((i * r + q) * c + c0, len), len, q);
                    }
                }
                Memory.putLongs(out + 8 * (i * c + c0), idx, 0, len);
                if (values != 0) {
                    Runs.write(t, values + (i * c + c0) * es, es, len, best, 0);
                }
            }
        });
    }

    /**
     * The first extreme of the run of {@code n} elements at {@code first}: its value to
     * {@code best[0]} and its position to {@code idx[0]}.
     */
    private static void firstExtremeOfRun(boolean max, Kind kind, TileSource.Reader reader, long first, long n,
            ReduceLoops loops, Object best, long[] idx, float[] scratch) {
        long at = 0;
        switch (kind) {
            case I64 -> {
                long b = 0;
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    long[] x = (long[]) reader.read(first + off, len);
                    for (int q = 0; q < len; q++) {
                        if ((off == 0 && q == 0) || (max ? x[q] > b : x[q] < b)) {
                            b = x[q];
                            at = off + q;
                        }
                    }
                }
                ((long[]) best)[0] = b;
            }
            case F32 -> {
                float b = 0;
                long in = reader.address(first);
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    int q;
                    float v;
                    if (in >= 0) {
                        long p = in + 4 * off;
                        q = loops.firstExtreme(max, p, len, scratch);
                        v = Memory.getFloat(p + 4L * q);
                    } else {
                        float[] x = (float[]) reader.read(first + off, len);
                        q = loops.firstExtreme(max, x, len);
                        v = x[q];
                    }
                    // a later tile wins only when strictly better, or the first NaN
                    if (off == 0 || (b == b && (v != v || (max ? v > b : v < b)))) {
                        b = v;
                        at = off + q;
                    }
                    if (b != b) {
                        break;
                    }
                }
                ((float[]) best)[0] = b;
            }
            case F64 -> {
                double b = 0;
                for (long off = 0; off < n; off += TILE) {
                    int len = (int) Math.min(TILE, n - off);
                    double[] x = (double[]) reader.read(first + off, len);
                    double m = x[0];
                    for (int q = 1; q < len; q++) {
                        m = max ? Math.max(m, x[q]) : Math.min(m, x[q]);
                    }
                    if (off == 0 || (b == b && (m != m || (max ? m > b : m < b)))) {
                        b = m;
                        at = off + firstIndexOf(x, m);
                    }
                    if (b != b) {
                        break;
                    }
                }
                ((double[]) best)[0] = b;
            }
        }
        idx[0] = at;
    }

    /** Where row {@code q} beats the running extremes (or is the first NaN), takes its value and index. */
    private static void extremeRowsWithIndex(boolean max, Kind kind, Object best, long[] idx, Object row, int len,
            long q) {
        switch (kind) {
            case I64 -> {
                long[] b = (long[]) best;
                long[] x = (long[]) row;
                for (int j = 0; j < len; j++) {
                    if (max ? x[j] > b[j] : x[j] < b[j]) {
                        b[j] = x[j];
                        idx[j] = q;
                    }
                }
            }
            case F32 -> {
                float[] b = (float[]) best;
                float[] x = (float[]) row;
                for (int j = 0; j < len; j++) {
                    float v = x[j];
                    if (b[j] == b[j] && (v != v || (max ? v > b[j] : v < b[j]))) {
                        b[j] = v;
                        idx[j] = q;
                    }
                }
            }
            case F64 -> {
                double[] b = (double[]) best;
                double[] x = (double[]) row;
                for (int j = 0; j < len; j++) {
                    double v = x[j];
                    if (b[j] == b[j] && (v != v || (max ? v > b[j] : v < b[j]))) {
                        b[j] = v;
                        idx[j] = q;
                    }
                }
            }
        }
    }
}

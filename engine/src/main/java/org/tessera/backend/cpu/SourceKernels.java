package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.graph.Attrs;

/** Fills buffers for ARANGE, RAND and RANDN. */
public final class SourceKernels {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private SourceKernels() {
    }

    /** SplitMix64's finalizer: a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * 64 random bits for element {@code i} of stream {@code stream} under {@code seed}: a pure
     * function, so any block of a tensor can be produced anywhere, in any order, bit-identically.
     */
    public static long bits(long seed, long stream, long i) {
        long key = mix(seed ^ mix(stream * GOLDEN + 0x632BE59BD9B4E019L));
        return mix(key + (i + 1) * GOLDEN);
    }

    /** Uniform [0, 1) value of element {@code i}, at float64 precision. */
    public static double uniform(long seed, long stream, long i) {
        return (bits(seed, stream, i) >>> 11) * 0x1.0p-53;
    }

    /** Uniform [0, 1) value of element {@code i}, at float32 precision. */
    public static float uniformFloat(long seed, long stream, long i) {
        return (bits(seed, stream, i) >>> 40) * 0x1.0p-24f;
    }

    /** Standard normal value of element {@code i} (Box–Muller over two independent draws). */
    public static double normal(long seed, long stream, long i) {
        double u1 = ((bits(seed, stream, 2 * i) >>> 11) + 1) * 0x1.0p-53; // (0, 1]
        double u2 = (bits(seed, stream, 2 * i + 1) >>> 11) * 0x1.0p-53;
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Writes elements {@code [0, n)} of a source into the contiguous buffer at {@code out}. */
    static void fill(org.tessera.graph.Op op, Object attrs, DType t, long n, long out) {
        Strided dst = Strided.contiguous(out, t, org.tessera.Shape.of(n));
        int tileSize = FusedProgram.TILE;
        Parallel.forRange(n, 4L * tileSize, tileSize, (s, e) -> {
            Object tile = Kind.of(t).newTile(tileSize);
            for (long st = s; st < e; st += tileSize) {
                int len = (int) Math.min(tileSize, e - st);
                generate(op, attrs, t, st, len, tile);
                dst.store(st, len, tile);
            }
        });
    }

    private static void generate(org.tessera.graph.Op op, Object attrs, DType t, long start, int len, Object tile) {
        switch (op) {
            case ARANGE -> {
                Attrs.Arange a = (Attrs.Arange) attrs;
                switch (Kind.of(t)) {
                    case F32 -> { float[] o = (float[]) tile; for (int i = 0; i < len; i++) o[i] = (float) (a.start() + (start + i) * a.step()); }
                    case F64 -> { double[] o = (double[]) tile; for (int i = 0; i < len; i++) o[i] = a.start() + (start + i) * a.step(); }
                    case I64 -> {
                        long[] o = (long[]) tile;
                        long s0 = (long) a.start();
                        long st = (long) a.step();
                        for (int i = 0; i < len; i++) o[i] = s0 + (start + i) * st;
                    }
                }
            }
            case RAND, RANDN -> {
                Attrs.Random r = (Attrs.Random) attrs;
                boolean normal = op == org.tessera.graph.Op.RANDN;
                if (t == DType.FLOAT32) {
                    float[] o = (float[]) tile;
                    for (int i = 0; i < len; i++) {
                        o[i] = normal ? (float) normal(r.seed(), r.stream(), start + i)
                                : uniformFloat(r.seed(), r.stream(), start + i);
                    }
                } else {
                    double[] o = (double[]) tile;
                    for (int i = 0; i < len; i++) {
                        o[i] = normal ? normal(r.seed(), r.stream(), start + i) : uniform(r.seed(), r.stream(), start + i);
                    }
                }
            }
            default -> throw new IllegalStateException("not a generated source: " + op);
        }
    }
}

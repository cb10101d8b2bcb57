package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.graph.Attrs;
import org.tessera.graph.Op;

/**
 * Generates the elements of ARANGE, RAND and RANDN by index: a whole buffer ({@link #fill}), or
 * any runs of elements into tiles ({@link Source}), so that a fused program can read a source as a
 * leaf without a buffer of the source's size.
 *
 * <p>Random values are counter-based: element {@code i} of stream {@code s} under seed {@code k}
 * is a function of {@code (k, s, i)} alone, so any block of a tensor can be produced anywhere, in
 * any order, bit-identically. Its 64 random bits are SplitMix64's finalizer applied to
 * {@code key + (i + 1)·γ} with {@code key = mix(k ^ mix(s·γ + c))}; rand takes the high 24
 * (float32) or 53 (float64) bits as a uniform in [0, 1), and randn feeds the bits to a 256-layer
 * ziggurat ({@link Ziggurat}), whose rare rejections draw further bits from a second pure hash of
 * the element. A float32 randn element is its float64 value rounded to float32.
 */
public final class SourceKernels {
    /** γ, the odd constant of SplitMix64's Weyl sequence (2⁶⁴ over the golden ratio). */
    static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** Elements whose draws are hashed in one loop; the draws of a chunk stay in L1 cache. */
    private static final int CHUNK = 1024;
    /** {@code (k + 1)·γ}: the counter offsets of a run of consecutive elements, read by a vectorizable loop. */
    private static final long[] COUNTER = new long[CHUNK];

    static {
        for (int k = 0; k < CHUNK; k++) {
            COUNTER[k] = (k + 1) * GOLDEN;
        }
    }

    private SourceKernels() {
    }

    /** SplitMix64's finalizer: a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The key of stream {@code stream} under {@code seed}, from which every element's bits are hashed. */
    static long key(long seed, long stream) {
        return mix(seed ^ mix(stream * GOLDEN + 0x632BE59BD9B4E019L));
    }

    /**
     * 64 random bits for element {@code i} of stream {@code stream} under {@code seed}: a pure
     * function, so any block of a tensor can be produced anywhere, in any order, bit-identically.
     */
    public static long bits(long seed, long stream, long i) {
        return mix(key(seed, stream) + (i + 1) * GOLDEN);
    }

    /** Uniform [0, 1) value of element {@code i}, at float64 precision. */
    public static double uniform(long seed, long stream, long i) {
        return (bits(seed, stream, i) >>> 11) * 0x1.0p-53;
    }

    /** Uniform [0, 1) value of element {@code i}, at float32 precision. */
    public static float uniformFloat(long seed, long stream, long i) {
        return (bits(seed, stream, i) >>> 40) * 0x1.0p-24f;
    }

    /**
     * Standard normal value of element {@code i}, at float64 precision: the ziggurat method of
     * {@link Ziggurat} over the element's {@link #bits}; float32 randn rounds this value.
     */
    public static double normal(long seed, long stream, long i) {
        long key = key(seed, stream);
        return Ziggurat.normal(key, i, mix(key + (i + 1) * GOLDEN));
    }

    /** Whether {@code op} is a source whose elements are generated from their index. */
    static boolean isGenerated(Op op) {
        return op == Op.ARANGE || op == Op.RAND || op == Op.RANDN;
    }

    /** Writes elements {@code [0, n)} of a source into the contiguous buffer at {@code out}. */
    static void fill(Op op, Object attrs, DType t, long n, long out) {
        Strided dst = Strided.contiguous(out, t, org.tessera.Shape.of(n));
        int tileSize = FusedProgram.TILE;
        Parallel.forRange(n, 4L * tileSize, tileSize, (s, e) -> {
            Source src = new Source(op, attrs, t);
            Object tile = Kind.of(t).newTile(tileSize);
            for (long st = s; st < e; st += tileSize) {
                int len = (int) Math.min(tileSize, e - st);
                src.generate(st, 1, len, tile, 0);
                dst.store(st, len, tile);
            }
        });
    }

    /**
     * One source's generator for one thread: writes the values of any elements, given by index,
     * into a tile (in the tile's {@link Kind}).
     */
    static final class Source {
        private final Op op;
        private final Kind kind;
        private final long key;
        private final Attrs.Arange arange;
        private final long[] draws;

        Source(Op op, Object attrs, DType t) {
            if (!isGenerated(op)) {
                throw new IllegalStateException("not a generated source: " + op);
            }
            this.op = op;
            this.kind = Kind.of(t);
            if (op == Op.ARANGE) {
                this.arange = (Attrs.Arange) attrs;
                this.key = 0;
                this.draws = null;
            } else {
                if (kind == Kind.I64) {
                    throw new IllegalStateException(op + " of " + t + ": random sources are floating point");
                }
                Attrs.Random r = (Attrs.Random) attrs;
                this.arange = null;
                this.key = key(r.seed(), r.stream());
                this.draws = new long[CHUNK];
            }
        }

        /**
         * Writes elements {@code first, first + stride, …} ({@code len} of them; {@code stride} may
         * be 0 for a broadcast) to {@code tile[off, off + len)}.
         */
        void generate(long first, long stride, int len, Object tile, int off) {
            if (op == Op.ARANGE) {
                arange(first, stride, len, tile, off);
                return;
            }
            for (int c = 0; c < len; c += CHUNK) {
                int m = Math.min(CHUNK, len - c);
                long e0 = first + c * stride;
                hash(e0, stride, m);
                if (op == Op.RAND) {
                    uniform(m, tile, off + c);
                } else if (kind == Kind.F32) {
                    normalFloat(e0, stride, m, (float[]) tile, off + c);
                } else {
                    normalDouble(e0, stride, m, (double[]) tile, off + c);
                }
            }
        }

        /** Positions of a tile's elements that take the ziggurat's slow path (for {@link #normalFloat}). */
        private int[] rejected;

        /** {@code draws[k]}: the bits of element {@code e0 + k·stride}, for {@code k < m}. */
        private void hash(long e0, long stride, int m) {
            long[] d = draws;
            if (stride == 1) {
                long base = key + e0 * GOLDEN;
                for (int k = 0; k < m; k++) {
                    d[k] = mix(base + COUNTER[k]);
                }
            } else {
                for (int k = 0; k < m; k++) {
                    d[k] = mix(key + (e0 + k * stride + 1) * GOLDEN);
                }
            }
        }

        private void uniform(int m, Object tile, int off) {
            long[] d = draws;
            if (kind == Kind.F32) {
                float[] o = (float[]) tile;
                for (int k = 0; k < m; k++) {
                    o[off + k] = (d[k] >>> 40) * 0x1.0p-24f;
                }
            } else {
                double[] o = (double[]) tile;
                for (int k = 0; k < m; k++) {
                    o[off + k] = (d[k] >>> 11) * 0x1.0p-53;
                }
            }
        }

        private void normalFloat(long e0, long stride, int m, float[] o, int off) {
            if (rejected == null || rejected.length < m) {
                rejected = new int[Math.max(m, draws.length)];
            }
            Ziggurat.normalsFloat(key, e0, stride, draws, m, o, off, rejected);
        }

        private void normalDouble(long e0, long stride, int m, double[] o, int off) {
            if (rejected == null || rejected.length < m) {
                rejected = new int[Math.max(m, draws.length)];
            }
            Ziggurat.normalsDouble(key, e0, stride, draws, m, o, off, rejected);
        }

        private void arange(long first, long stride, int len, Object tile, int off) {
            Attrs.Arange a = arange;
            long at = a.first() + first;
            switch (kind) {
                case F32 -> {
                    float[] o = (float[]) tile;
                    for (int k = 0; k < len; k++) {
                        o[off + k] = (float) (a.start() + (at + k * stride) * a.step());
                    }
                }
                case F64 -> {
                    double[] o = (double[]) tile;
                    for (int k = 0; k < len; k++) {
                        o[off + k] = a.start() + (at + k * stride) * a.step();
                    }
                }
                case I64 -> {
                    long[] o = (long[]) tile;
                    long s0 = a.intStart(); // exact, also above 2^53
                    long st = a.intStep();
                    for (int k = 0; k < len; k++) {
                        o[off + k] = s0 + (at + k * stride) * st;
                    }
                }
            }
        }
    }
}

package org.tessera.backend.cpu;

import org.tessera.EngineProperty;
import org.tessera.memory.Memory;

/**
 * The innermost float32 reduction loops over tile arrays: sums, extremes, first positions of
 * extremes, and the row-wise combines that reductions over a leading dim use.
 *
 * <p>Two implementations: {@code VectorReduceLoops} on the JDK Vector API, used when the JVM was
 * started with {@code --add-modules=jdk.incubator.vector} (and {@code tessera.simd} is not
 * {@code false}), and {@link ScalarReduceLoops}, plain loops with independent accumulators, used
 * otherwise. The vector class is only loaded after the module is found, so a JVM without it never
 * links against the incubator API.
 *
 * <p>Each loop also has a form that reads its run straight from memory (an address instead of an
 * array). By default that form copies the run into a scratch tile and runs the array loop; on Java
 * 22 and later with native access enabled ({@code --enable-native-access=ALL-UNNAMED}, in the
 * project's JVM flags) {@code SegmentReduceLoops} loads vectors from the memory itself, which saves
 * the copy. Both forms give bit-identical results: the same additions in the same order.
 *
 * <p>Semantics shared by both (and checked against each other by the tests): a sum adds the tile
 * in float32 in many independent partial sums of at most a few hundred elements each, then adds
 * those in float; max and min propagate NaN; the first-position searches count NaN as the
 * extreme and return the first NaN, and among equal extremes the first index, as PyTorch does.
 */
abstract class ReduceLoops {
    private static final ReduceLoops SELECTED = select();

    /** The loops this JVM uses. */
    static ReduceLoops get() {
        return SELECTED;
    }

    /** Plain loops, whatever the JVM supports. */
    static ReduceLoops scalar() {
        return ScalarReduceLoops.INSTANCE;
    }

    /** The Vector API loops, or null when the JVM lacks {@code jdk.incubator.vector}. */
    static ReduceLoops vector() {
        if (!hasVectorModule()) {
            return null;
        }
        try {
            return (ReduceLoops) Class.forName("org.tessera.backend.cpu.VectorReduceLoops")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /** Whether the boot layer holds the incubating Vector API module. */
    static boolean hasVectorModule() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static ReduceLoops select() {
        String v = EngineProperty.SIMD.value();
        if (v != null && !v.isBlank()) {
            String s = v.trim();
            if (s.equalsIgnoreCase("false")) {
                return scalar();
            }
            if (!s.equalsIgnoreCase("true")) {
                throw new IllegalArgumentException(EngineProperty.SIMD.key() + ": cannot parse '" + v
                        + "'; expected true or false");
            }
        }
        ReduceLoops vector = vector();
        if (vector == null) {
            return scalar();
        }
        ReduceLoops inPlace = inPlace(vector);
        return inPlace != null ? inPlace : vector;
    }

    /**
     * The vector loops that also read memory in place, or null where the JVM cannot (before Java
     * 22, or without native access for the engine's module).
     */
    static ReduceLoops inPlace(ReduceLoops vector) {
        if (vector == null || Runtime.version().feature() < 22) {
            return null;
        }
        try {
            Class<?> c = Class.forName("org.tessera.backend.cpu.SegmentReduceLoops");
            return (ReduceLoops) c.getDeclaredMethod("create", ReduceLoops.class).invoke(null, vector);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /** Whether the address forms below read memory in place rather than through a scratch copy. */
    boolean readsInPlace() {
        return false;
    }

    /** A short name for messages and benchmarks: "vector (16 float lanes)" or "scalar". */
    abstract String describe();

    /** The sum of {@code x[0..len)}, in float32 partial sums. */
    abstract double sum(float[] x, int len);

    /** The sum of the float64 values {@code x[0..len)}, in many independent partial sums. */
    abstract double sum(double[] x, int len);

    /** The largest of {@code x[0..len)} (len &gt;= 1); NaN if any is NaN. */
    abstract float max(float[] x, int len);

    /** The smallest of {@code x[0..len)} (len &gt;= 1); NaN if any is NaN. */
    abstract float min(float[] x, int len);

    /**
     * The first position of the largest ({@code max}) or smallest element of {@code x[0..len)}
     * (len &gt;= 1); the first NaN if there is one.
     */
    abstract int firstExtreme(boolean max, float[] x, int len);

    /**
     * {@code out[j] = Math.max(x[j], 0f)} for {@code j < len} (NaN stays NaN, -0 becomes 0): relu,
     * here because it wants the same vector or scalar choice as the loops above.
     */
    abstract void relu(float[] x, float[] out, int len);

    /**
     * Two float32 ops with constant operands in one loop: {@code out[j] = x[j] * c1 + c2} when
     * {@code mulFirst}, else {@code (x[j] + c1) * c2}, each op rounded to float32 as when the two run
     * one after the other (never fused into one rounding), then {@code Math.max(., 0f)} when
     * {@code relu}.
     */
    abstract void affine(float[] x, float[] out, int len, boolean mulFirst, float c1, float c2, boolean relu);

    /**
     * {@code sum} of {@link #affine}'s output, bit for bit the value of the two run one after the
     * other; {@code scratch} (at least {@code len} long, and it may be {@code x}) holds that output
     * where the loops cannot add it as they compute it.
     */
    double affineSum(float[] x, int len, boolean mulFirst, float c1, float c2, boolean relu, float[] scratch) {
        affine(x, scratch, len, mulFirst, c1, c2, relu);
        return sum(scratch, len);
    }

    /** {@code acc[j] += x[j]} for {@code j < len}. */
    abstract void addRows(float[] acc, float[] x, int len);

    /** {@code acc[j] = max(acc[j], x[j])} (or min) for {@code j < len}, NaN propagating. */
    abstract void extremeRows(boolean max, float[] acc, float[] x, int len);

    /**
     * Folds row {@code q} into running extremes and their indices: where {@code x[j]} beats
     * {@code best[j]} (is larger, or smaller for min, or is the first NaN), {@code best[j] = x[j]}
     * and {@code idx[j] = q}.
     */
    abstract void extremeRowsWithIndex(boolean max, float[] best, int[] idx, float[] x, int len, int q);

    // ---- the same loops over float32 runs in memory: x is the address of the first element; ----
    // ---- scratch (at least len long) holds the copy when the loops cannot read in place      ----

    /** {@link #affineSum(float[], int, boolean, float, float, boolean, float[])} of the run at address {@code x}. */
    double affineSum(long x, int len, boolean mulFirst, float c1, float c2, boolean relu, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        return affineSum(scratch, len, mulFirst, c1, c2, relu, scratch);
    }

    /** {@link #sum(float[], int)} of the run at address {@code x}. */
    double sum(long x, int len, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        return sum(scratch, len);
    }

    /** {@link #sum(double[], int)} of the float64 run at address {@code x}. */
    double sumDoubles(long x, int len, double[] scratch) {
        Memory.getDoubles(x, scratch, 0, len);
        return sum(scratch, len);
    }

    /** {@link #max(float[], int)} of the run at address {@code x}. */
    float max(long x, int len, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        return max(scratch, len);
    }

    /** {@link #min(float[], int)} of the run at address {@code x}. */
    float min(long x, int len, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        return min(scratch, len);
    }

    /** {@link #firstExtreme(boolean, float[], int)} of the run at address {@code x}. */
    int firstExtreme(boolean max, long x, int len, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        return firstExtreme(max, scratch, len);
    }

    /** {@link #addRows(float[], float[], int)} with the row at address {@code x}. */
    void addRows(float[] acc, long x, int len, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        addRows(acc, scratch, len);
    }

    /**
     * Four {@link #addRows(float[], long, int, float[])} in a row, of the rows at {@code x},
     * {@code x + stride}, {@code x + 2 stride} and {@code x + 3 stride} (bytes), in that order: the
     * same float additions, so the same bits, with fewer passes over {@code acc}.
     */
    void addFourRows(float[] acc, long x, long stride, int len, float[] scratch) {
        for (int k = 0; k < 4; k++) {
            addRows(acc, x + k * stride, len, scratch);
        }
    }

    /** {@link #extremeRows(boolean, float[], float[], int)} with the row at address {@code x}. */
    void extremeRows(boolean max, float[] acc, long x, int len, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        extremeRows(max, acc, scratch, len);
    }

    /** {@link #extremeRowsWithIndex} with row {@code q} at address {@code x}. */
    void extremeRowsWithIndex(boolean max, float[] best, int[] idx, long x, int len, int q, float[] scratch) {
        Memory.getFloats(x, scratch, 0, len);
        extremeRowsWithIndex(max, best, idx, scratch, len, q);
    }
}

package org.tessera.backend.cpu;

import org.tessera.EngineProperty;

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
        return vector != null ? vector : scalar();
    }

    /** A short name for messages and benchmarks: "vector (16 float lanes)" or "scalar". */
    abstract String describe();

    /** The sum of {@code x[0..len)}, in float32 partial sums. */
    abstract double sum(float[] x, int len);

    /** The largest of {@code x[0..len)} (len &gt;= 1); NaN if any is NaN. */
    abstract float max(float[] x, int len);

    /** The smallest of {@code x[0..len)} (len &gt;= 1); NaN if any is NaN. */
    abstract float min(float[] x, int len);

    /**
     * The first position of the largest ({@code max}) or smallest element of {@code x[0..len)}
     * (len &gt;= 1); the first NaN if there is one.
     */
    abstract int firstExtreme(boolean max, float[] x, int len);

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
}

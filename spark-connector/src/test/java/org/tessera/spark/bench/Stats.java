package org.tessera.spark.bench;

import java.util.Arrays;

/** The statistic the benchmarks quote on noisy shared machines. */
final class Stats {
    private Stats() {
    }

    /** The median of {@code runs} (the mean of the middle two for an even count; NaN when empty). */
    static double median(double[] runs) {
        if (runs.length == 0) {
            return Double.NaN;
        }
        double[] s = runs.clone();
        Arrays.sort(s);
        int m = s.length;
        return m % 2 == 1 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
    }
}

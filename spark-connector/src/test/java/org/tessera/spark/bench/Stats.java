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

    /** The median time in seconds of {@code reps} runs of {@code f}, after one warm-up run. */
    static double medianSeconds(int reps, java.util.function.Supplier<Object> f) {
        f.get();
        double[] times = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            f.get();
            times[i] = (System.nanoTime() - t0) / 1e9;
        }
        return median(times);
    }
}

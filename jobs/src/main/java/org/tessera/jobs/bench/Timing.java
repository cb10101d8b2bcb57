package org.tessera.jobs.bench;

import java.util.Arrays;

/** Repeats a measurement and reports the median, the statistic quoted for noisy shared machines. */
final class Timing {
    private Timing() {
    }

    /** Something to time; returns a value so that the work cannot be optimized away. */
    @FunctionalInterface
    interface Work {
        Object run() throws Exception;
    }

    static volatile Object sink;

    /** Median seconds of {@code reps} timed runs after {@code warmup} untimed ones. */
    static double median(int warmup, int reps, Work w) throws Exception {
        for (int i = 0; i < warmup; i++) {
            sink = w.run();
        }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            sink = w.run();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        return median(t);
    }

    /**
     * Median seconds of {@code reps} timed runs after at least {@code warmup} untimed ones that also
     * last at least {@code warmSeconds} in all (at most 1000): long enough for the JIT to compile
     * the loops of a short operation before it is timed.
     */
    static double median(int warmup, double warmSeconds, int reps, Work w) throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < 1000 && (i < warmup || (System.nanoTime() - start) / 1e9 < warmSeconds); i++) {
            sink = w.run();
        }
        return median(0, reps, w);
    }

    /** The median of {@code t} (the mean of the middle two for an even count); sorts {@code t}. */
    static double median(double[] t) {
        Arrays.sort(t);
        int n = t.length;
        return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    }
}

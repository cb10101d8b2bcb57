package org.tessera.jobs.report;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of an iterative fit: a redrawn bar (or counter) on an interactive terminal; off a
 * terminal (logs, CI, pipes) a plain line for the first iterations and then every N-th, so that a
 * long run stays a screenful. Objectives are printed to 10 significant digits, enough to see them
 * change late in a run.
 */
public final class Progress {
    private static final int WIDTH = 30;
    /** Off a terminal: about this many lines for a run of known length. */
    private static final int LINES = 20;

    private final PrintStream out;
    private final int total;
    private final boolean terminal;
    private final String unit;
    private final long start = System.nanoTime();
    private int lastPrinted = -1;
    private int lastSeen = -1;
    private double lastObjective;
    private double lastGradient;

    /**
     * Progress over {@code total} steps ({@code 0} when unknown) named {@code unit} ("epoch",
     * "iteration"), drawn in place when {@code terminal} is true.
     */
    public Progress(PrintStream out, int total, String unit, boolean terminal) {
        this.out = out;
        this.total = total;
        this.unit = unit;
        this.terminal = terminal;
    }

    /** A progress display that draws in place only when standard output is a console. */
    public static Progress forConsole(PrintStream out, int total, String unit) {
        return new Progress(out, total, unit, System.console() != null && System.getenv("CI") == null);
    }

    /** The interval between plain lines: every step up to 10, then so that about 20 lines show. */
    int every() {
        if (total <= 0) {
            return 10;
        }
        return Math.max(1, (int) Math.ceil(total / (double) LINES));
    }

    /** Reports step {@code k} with its objective and gradient norm relative to the start's. */
    public void update(int k, double objective, double relativeGradient) {
        lastSeen = k;
        lastObjective = objective;
        lastGradient = relativeGradient;
        double secs = (System.nanoTime() - start) / 1e9;
        String of = total > 0 ? "/" + total : "";
        if (terminal) {
            String bar = "";
            if (total > 0) {
                int filled = (int) Math.round(WIDTH * (double) Math.min(k, total) / total);
                bar = "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] ";
            }
            // trailing blanks wipe what a longer previous line left
            out.printf(Locale.ROOT, "\r%s%s %d%s  objective %.10g  gradient %.2e  %.1fs    ", bar, unit, k, of,
                    objective, relativeGradient, secs);
            lastPrinted = k;
        } else if (k <= 10 || k % every() == 0 || k == total) {
            out.printf(Locale.ROOT, "%s %d%s objective %.10g gradient %.2e (%.1fs)%n", unit, k, of, objective,
                    relativeGradient, secs);
            lastPrinted = k;
        }
        out.flush();
    }

    /** Ends the display: the terminal line is closed, and off a terminal the last step is printed if it was not. */
    public void finish() {
        if (terminal) {
            if (lastPrinted >= 0) {
                out.println();
            }
        } else if (lastSeen >= 0 && lastPrinted != lastSeen) {
            double secs = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "%s %d%s objective %.10g gradient %.2e (%.1fs)%n", unit, lastSeen,
                    total > 0 ? "/" + total : "", lastObjective, lastGradient, secs);
        }
        out.flush();
    }
}

package org.tessera.jobs.report;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Per-epoch progress: a redrawn bar on an interactive terminal, one plain line per epoch
 * otherwise (logs, CI, pipes).
 */
public final class Progress {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();

    /** Progress over {@code total} steps, drawn as a bar when {@code terminal} is true. */
    public Progress(PrintStream out, int total, boolean terminal) {
        this.out = out;
        this.total = total;
        this.terminal = terminal;
    }

    /** A progress display that draws a bar only when standard output is a console. */
    public static Progress forConsole(PrintStream out, int total) {
        return new Progress(out, total, System.console() != null && System.getenv("CI") == null);
    }

    /** Reports step {@code done} (1-based) with its loss. */
    public void update(int done, double loss) {
        double secs = (System.nanoTime() - start) / 1e9;
        if (terminal) {
            int filled = (int) Math.round(WIDTH * (double) done / total);
            out.printf(Locale.ROOT, "\r[%s%s] epoch %d/%d  loss %.6g  %.1fs", "#".repeat(filled),
                    " ".repeat(WIDTH - filled), done, total, loss, secs);
            if (done == total) {
                out.println();
            }
        } else {
            out.printf(Locale.ROOT, "epoch %d/%d loss %.6g (%.1fs)%n", done, total, loss, secs);
        }
        out.flush();
    }
}

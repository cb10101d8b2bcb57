package org.tessera.jobs.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws a loss curve as a PNG: the objective per iteration, and under it the gradient norm, each on
 * a logarithmic axis (when every value is positive) with ticks at 1, 2 and 5 times powers of ten
 * (fewer over many decades), or at round steps when a curve spans less than a factor of 3; the
 * iteration axis carries round ticks in between its ends.
 */
public final class LossPlot {
    private LossPlot() {
    }

    /**
     * Writes a {@code width}×{@code height} PNG of {@code losses} to {@code file}; {@code losses[i]}
     * belongs to iteration {@code first + i}, and {@code unit} names the horizontal axis. When
     * {@code gradients} is given (the gradient norm relative to the start's, per iteration), a second
     * panel shows it on a log axis: it keeps falling by decades after the objective has flattened.
     */
    public static void write(double[] losses, double[] gradients, int first, String unit, String title, Path file,
            int width, int height) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, 90, 22);
        int left = 90;
        int pw = width - left - 25;
        int top = 52;
        int bottom = 45;
        boolean two = gradients != null && gradients.length == losses.length;
        int gap = two ? 40 : 0;
        int ph = two ? (height - top - bottom - gap) * 3 / 5 : height - top - bottom;
        panel(g, losses, first, unit, "objective", left, top, pw, ph, !two);
        if (two) {
            int top2 = top + ph + gap;
            panel(g, gradients, first, unit, "gradient norm / start's", left, top2, pw, height - top2 - bottom, true);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void panel(Graphics2D g, double[] values, int first, String unit, String name, int left, int top,
            int pw, int ph, boolean xLabels) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (Double.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        boolean log = min > 0 && min <= max;
        if (min > max) {
            min = 0;
            max = 1;
        }
        double lo = log ? Math.log10(min) : min;
        double hi = log ? Math.log10(max) : max;
        if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
            double pad = log ? 0.05 : Math.max(1e-12, Math.abs(hi) * 0.05);
            lo -= pad;
            hi += pad;
        } else {
            double pad = (hi - lo) * 0.04;
            lo -= pad;
            hi += pad;
        }
        List<Double> ticks = log ? logTicks(lo, hi) : linearTicks(lo, hi);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        for (double t : ticks) {
            double pos = log ? Math.log10(t) : t;
            int y = top + ph - (int) Math.round(ph * (pos - lo) / (hi - lo));
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left + 1, y, left + pw - 1, y);
            g.setColor(Color.DARK_GRAY);
            String label = label(t);
            g.drawString(label, left - 6 - fm.stringWidth(label), y + 4);
        }
        int n = values.length;
        int last = first + n - 1;
        for (long t : iterationTicks(first, last)) {
            int x = xOf(t, first, last, left, pw);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x, top + 1, x, top + ph - 1);
            g.setColor(Color.DARK_GRAY);
            String label = Long.toString(t);
            g.drawString(label, x - fm.stringWidth(label) / 2, top + ph + 14);
        }
        if (xLabels) {
            g.drawString(unit, left + pw / 2 - fm.stringWidth(unit) / 2, top + ph + 30);
        }
        g.drawString(name + (log ? " (log scale)" : ""), left, top - 6);
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(2f));
        int px = -1;
        int py = -1;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(values[i]) || (log && values[i] <= 0)) {
                px = -1;
                continue;
            }
            double v = log ? Math.log10(values[i]) : values[i];
            int x = xOf(first + i, first, last, left, pw);
            int y = top + ph - (int) Math.round(ph * (v - lo) / (hi - lo));
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            if (n <= 200) {
                g.fillOval(x - 2, y - 2, 5, 5);
            }
            px = x;
            py = y;
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static int xOf(long i, int first, int last, int left, int pw) {
        return left + (last == first ? pw / 2 : (int) Math.round(pw * (double) (i - first) / (last - first)));
    }

    /** Round iteration numbers between {@code first} and {@code last}, both ends included, at most about 10. */
    static List<Long> iterationTicks(int first, int last) {
        List<Long> out = new ArrayList<>();
        if (last <= first) {
            out.add((long) first);
            return out;
        }
        double step = niceStep((last - first) / 8.0);
        long s = Math.max(1, Math.round(step));
        out.add((long) first);
        for (long t = (first / s + 1) * s; t < last; t += s) {
            if (t - first >= s / 2.0 && last - t >= s / 2.0) {
                out.add(t);
            }
        }
        out.add((long) last);
        return out;
    }

    /** Ticks at 1, 2 and 5 times powers of ten inside {@code [10^lo, 10^hi]}, or round steps in a narrow range. */
    static List<Double> logTicks(double lo, double hi) {
        List<Double> out = new ArrayList<>();
        int decades = (int) Math.ceil(hi - lo);
        double[] mantissas = decades > 6 ? new double[] {1} : decades > 2 ? new double[] {1, 3} : new double[] {1, 2, 5};
        for (int e = (int) Math.floor(lo); e <= (int) Math.ceil(hi); e++) {
            for (double m : mantissas) {
                double v = m * Math.pow(10, e);
                double p = Math.log10(v);
                if (p >= lo && p <= hi) {
                    out.add(v);
                }
            }
        }
        if (out.size() < 3) {
            out.clear();
            for (double t : linearTicks(Math.pow(10, lo), Math.pow(10, hi))) {
                if (t > 0) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /** About five round ticks inside {@code [lo, hi]}. */
    static List<Double> linearTicks(double lo, double hi) {
        double step = niceStep((hi - lo) / 5);
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
            out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
        }
        return out;
    }

    private static double niceStep(double raw) {
        if (!(raw > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }

    private static String label(double v) {
        double a = Math.abs(v);
        if (v == 0) {
            return "0";
        }
        if (a >= 1e5 || a < 1e-3) {
            return String.format(Locale.ROOT, "%.4g", v).replaceAll("\\.?0+e", "e");
        }
        String s = String.format(Locale.ROOT, "%.6f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}

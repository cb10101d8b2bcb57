package org.tessera.jobs.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws a loss curve (loss per epoch, log scale when it spans decades) as a PNG. */
public final class LossPlot {
    private LossPlot() {
    }

    /** Writes a {@code width}×{@code height} PNG of {@code losses} to {@code file}. */
    public static void write(double[] losses, String title, Path file, int width, int height) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 80;
        int right = 20;
        int top = 40;
        int bottom = 50;
        int pw = width - left - right;
        int ph = height - top - bottom;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : losses) {
            if (Double.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        boolean log = min > 0 && max / min > 100;
        double lo = log ? Math.log10(min) : Math.min(0, min);
        double hi = log ? Math.log10(max) : max;
        if (hi <= lo) {
            hi = lo + 1;
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 4; i++) {
            double v = lo + (hi - lo) * i / 4;
            int y = top + ph - (int) Math.round(ph * (double) i / 4);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left + 1, y, left + pw - 1, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.3g", log ? Math.pow(10, v) : v), 8, y + 4);
        }
        int n = losses.length;
        g.drawString("epoch", left + pw / 2 - 15, height - 12);
        g.drawString("1", left, top + ph + 16);
        g.drawString(Integer.toString(n), left + pw - 12, top + ph + 16);
        g.drawString(log ? "loss (log scale)" : "loss", 8, top - 8);
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(2f));
        int px = -1;
        int py = -1;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(losses[i]) || (log && losses[i] <= 0)) {
                px = -1;
                continue;
            }
            double v = log ? Math.log10(losses[i]) : losses[i];
            int x = left + (n == 1 ? pw / 2 : (int) Math.round(pw * (double) i / (n - 1)));
            int y = top + ph - (int) Math.round(ph * (v - lo) / (hi - lo));
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            g.fillOval(x - 2, y - 2, 5, 5);
            px = x;
            py = y;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}

package org.tessera.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.graph.Node;
import org.tessera.memory.Memory;

/**
 * Prints tensors the way PyTorch does: {@code tensor([[1, 2],\n        [3, 4]])}, with 4
 * decimals or scientific notation chosen from the values, elements padded to one width,
 * long tensors summarized with {@code ...}, and the dtype shown when it is not a default.
 */
public final class TensorFormatter {
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;
    private static final int LINE_WIDTH = 80;
    private static final int PRECISION = 4;

    private final Node n;
    private final boolean floating;
    private final boolean bool;
    private boolean intMode = true;
    private boolean sciMode;
    private int maxWidth = 1;

    private TensorFormatter(Node hostNode) {
        this.n = hostNode;
        this.floating = hostNode.dtype().isFloatingPoint();
        this.bool = hostNode.dtype() == DType.BOOL;
    }

    /** The PyTorch-style text of a realized host node; {@code suffixes} follow the data. */
    public static String format(Node hostNode, Device device, List<String> extra) {
        TensorFormatter f = new TensorFormatter(hostNode);
        long[] shape = hostNode.shape().dims();
        String prefix = "tensor(";
        List<String> suffixes = new ArrayList<>();
        String body;
        if (hostNode.shape().numel() == 0) {
            body = "[]";
            if (shape.length != 1) {
                suffixes.add("size=" + sizeText(shape));
            }
        } else {
            boolean summarize = hostNode.shape().numel() > THRESHOLD;
            // pinned while read: a scope closed meanwhile by another thread frees the memory afterwards
            org.tessera.memory.Storage s = hostNode.storage().pin();
            try {
                s.checkMapped("toString");
                f.setup(summarize);
                body = f.text(new long[0], prefix.length(), summarize);
            } finally {
                s.unpin();
            }
        }
        if (!device.equals(Device.CPU)) {
            suffixes.add("device='" + device + "'");
        }
        DType t = hostNode.dtype();
        boolean empty = hostNode.shape().numel() == 0; // no values to tell int64 or bool by: PyTorch names them
        if (t != DType.FLOAT32 && (empty || (t != DType.INT64 && t != DType.BOOL))) {
            suffixes.add("dtype=torch." + t); // spelled as PyTorch prints it
        }
        suffixes.addAll(extra);
        StringBuilder sb = new StringBuilder(prefix).append(body);
        for (String s : suffixes) {
            sb.append(", ").append(s);
        }
        return sb.append(')').toString();
    }

    private static String sizeText(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    // ---- values ----

    private double value(long[] idx) {
        long off = n.offset();
        for (int i = 0; i < idx.length; i++) {
            off += idx[i] * n.strides()[i];
        }
        long a = n.storage().address() + off * n.dtype().byteSize();
        return switch (n.dtype()) {
            case FLOAT32 -> Memory.getFloat(a);
            case FLOAT64 -> Memory.getDouble(a);
            case INT32 -> Memory.getInt(a);
            case INT64 -> Memory.getLong(a);
            case BOOL -> Memory.getByte(a);
        };
    }

    private long longValue(long[] idx) {
        if (n.dtype() == DType.INT64) {
            long off = n.offset();
            for (int i = 0; i < idx.length; i++) {
                off += idx[i] * n.strides()[i];
            }
            return Memory.getLong(n.storage().address() + off * 8);
        }
        return (long) value(idx);
    }

    /** Visits every element that will be printed. */
    private void visit(long[] prefix, boolean summarize, java.util.function.Consumer<long[]> f) {
        int r = n.shape().rank();
        if (prefix.length == r) {
            f.accept(prefix);
            return;
        }
        long size = n.shape().get(prefix.length);
        for (long i = 0; i < size; i++) {
            if (summarize && size > 2 * EDGE && i == EDGE) {
                i = size - EDGE;
            }
            long[] p = java.util.Arrays.copyOf(prefix, prefix.length + 1);
            p[prefix.length] = i;
            visit(p, summarize, f);
        }
    }

    private void setup(boolean summarize) {
        if (!floating) {
            visit(new long[0], summarize, idx -> maxWidth = Math.max(maxWidth, plain(idx).length()));
            return;
        }
        List<Double> finite = new ArrayList<>();
        visit(new long[0], summarize, idx -> {
            double v = value(idx);
            if (Double.isFinite(v) && v != 0) {
                finite.add(v);
            }
        });
        if (finite.isEmpty()) {
            return;
        }
        double min = Double.MAX_VALUE;
        double max = 0;
        for (double v : finite) {
            min = Math.min(min, Math.abs(v));
            max = Math.max(max, Math.abs(v));
            if (v != Math.ceil(v)) {
                intMode = false;
            }
        }
        if (intMode) {
            sciMode = max / min > 1000 || max > 1e8;
            for (double v : finite) {
                maxWidth = Math.max(maxWidth, sciMode ? sci(v).length() : fixed0(v).length() + 1);
            }
        } else {
            sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
            for (double v : finite) {
                maxWidth = Math.max(maxWidth, sciMode ? sci(v).length() : fixed(v).length());
            }
        }
    }

    private String plain(long[] idx) {
        if (bool) {
            return value(idx) != 0 ? "True" : "False";
        }
        return Long.toString(longValue(idx));
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%." + PRECISION + "e", v);
    }

    private static String fixed(double v) {
        return String.format(Locale.ROOT, "%." + PRECISION + "f", v);
    }

    private static String fixed0(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String nonFinite(double v) {
        return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    }

    private String element(long[] idx) {
        String s;
        if (!floating) {
            s = plain(idx);
        } else {
            double v = value(idx);
            if (!Double.isFinite(v)) {
                s = nonFinite(v);
            } else if (sciMode) {
                s = sci(v);
            } else if (intMode) {
                s = fixed0(v) + ".";
            } else {
                s = fixed(v);
            }
        }
        return " ".repeat(Math.max(0, maxWidth - s.length())) + s;
    }

    private String text(long[] prefix, int indent, boolean summarize) {
        int r = n.shape().rank();
        int depth = prefix.length;
        if (r == 0) {
            return element(prefix).trim();
        }
        long size = n.shape().get(depth);
        if (depth == r - 1) {
            List<String> data = new ArrayList<>();
            for (long i = 0; i < size; i++) {
                if (summarize && size > 2 * EDGE && i == EDGE) {
                    data.add(" ...");
                    i = size - EDGE;
                }
                long[] p = java.util.Arrays.copyOf(prefix, depth + 1);
                p[depth] = i;
                data.add(element(p));
            }
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (maxWidth + 2));
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < data.size(); i += perLine) {
                lines.add(String.join(", ", data.subList(i, Math.min(data.size(), i + perLine))));
            }
            return "[" + String.join(",\n" + " ".repeat(indent + 1), lines) + "]";
        }
        List<String> slices = new ArrayList<>();
        for (long i = 0; i < size; i++) {
            if (summarize && size > 2 * EDGE && i == EDGE) {
                slices.add("...");
                i = size - EDGE;
            }
            long[] p = java.util.Arrays.copyOf(prefix, depth + 1);
            p[depth] = i;
            slices.add(text(p, indent + 1, summarize));
        }
        String sep = "," + "\n".repeat(r - depth - 1) + " ".repeat(indent + 1);
        return "[" + String.join(sep, slices) + "]";
    }
}

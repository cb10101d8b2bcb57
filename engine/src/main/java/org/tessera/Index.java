package org.tessera;

import java.util.ArrayList;
import java.util.List;

/**
 * One item of a multi-dimensional index, as in Python's {@code x[1, 2:5:2, ..., None]}.
 *
 * <pre>{@code
 * x.get(Index.all(), Index.at(0))          // x[:, 0]
 * x.get(Index.slice(1, null, 2))           // x[1::2]
 * x.get(":, 1:3")                           // the same syntax as a string
 * }</pre>
 */
public sealed interface Index {
    /** A single position; negative counts from the end; the dim is removed. */
    record At(long index) implements Index {
    }

    /** {@code start:stop:step}; null start or stop means the end; step must be positive. */
    record Slice(Long start, Long stop, long step) implements Index {
    }

    /** {@code ...}: as many full slices as needed. */
    record Ellipsis() implements Index {
    }

    /** {@code None}: a new dim of size 1. */
    record NewAxis() implements Index {
    }

    static Index at(long i) {
        return new At(i);
    }

    static Index slice(Long start, Long stop) {
        return new Slice(start, stop, 1);
    }

    static Index slice(Long start, Long stop, long step) {
        return new Slice(start, stop, step);
    }

    /** {@code :} */
    static Index all() {
        return new Slice(null, null, 1);
    }

    static Index ellipsis() {
        return new Ellipsis();
    }

    static Index newAxis() {
        return new NewAxis();
    }

    /**
     * Parses Python index syntax: {@code "1, ::2, ..., None, -1:"}.
     *
     * @throws IllegalArgumentException naming the item that does not parse
     */
    static List<Index> parse(String spec) {
        List<Index> out = new ArrayList<>();
        if (spec.isBlank()) {
            return out;
        }
        for (String raw : spec.split(",", -1)) {
            String s = raw.trim();
            try {
                if (s.equals("...")) {
                    out.add(ellipsis());
                } else if (s.equals("None") || s.equals("newaxis")) {
                    out.add(newAxis());
                } else if (s.contains(":")) {
                    String[] p = s.split(":", -1);
                    if (p.length > 3) {
                        throw new NumberFormatException();
                    }
                    Long start = p[0].isBlank() ? null : Long.parseLong(p[0].trim());
                    Long stop = p.length < 2 || p[1].isBlank() ? null : Long.parseLong(p[1].trim());
                    long step = p.length < 3 || p[2].isBlank() ? 1 : Long.parseLong(p[2].trim());
                    out.add(slice(start, stop, step));
                } else {
                    out.add(at(Long.parseLong(s)));
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("index: cannot parse '" + s + "' in \"" + spec
                        + "\"; expected an integer, start:stop:step, ..., or None");
            }
        }
        return out;
    }
}

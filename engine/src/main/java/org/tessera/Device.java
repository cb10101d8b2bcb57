package org.tessera;

import java.util.Objects;

/**
 * Where a tensor's data lives and where its ops run: {@code cpu}, {@code cuda:0}, …
 *
 * <p>Parse PyTorch-style names with {@link #of(String)}: {@code Device.of("cuda:1")}.
 * Backends other than the built-in CPU one register a device type through
 * {@link org.tessera.backend.Backends}.
 */
public final class Device {
    /** The host CPU. */
    public static final Device CPU = new Device("cpu", -1);

    private final String type;
    private final int index;

    private Device(String type, int index) {
        this.type = type;
        this.index = index;
    }

    /** The CUDA device with the given ordinal. */
    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("device: CUDA ordinal " + index + " is negative");
        }
        return new Device("cuda", index);
    }

    /** A device of any registered type; {@code index} is -1 when the type has one device. */
    public static Device of(String type, int index) {
        Objects.requireNonNull(type, "type");
        return type.equals("cpu") ? CPU : new Device(type, index);
    }

    /** Parses {@code "cpu"}, {@code "cuda"} (ordinal 0) or {@code "cuda:N"}. */
    public static Device of(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = n.indexOf(':');
        String type = colon < 0 ? n : n.substring(0, colon);
        if (type.isEmpty()) {
            throw new IllegalArgumentException("device: cannot parse '" + name + "'; expected cpu or cuda:N");
        }
        if (colon < 0) {
            return type.equals("cuda") ? cuda(0) : of(type, -1);
        }
        int index;
        try {
            index = Integer.parseInt(n.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device: cannot parse '" + name + "'; expected cpu or cuda:N");
        }
        if (index < 0) {
            throw new IllegalArgumentException("device: '" + name + "' has a negative index; expected cpu or cuda:N"
                    + " with N >= 0");
        }
        return type.equals("cuda") ? cuda(index) : of(type, index);
    }

    /** The device type, such as {@code cpu} or {@code cuda}. */
    public String type() {
        return type;
    }

    /** The ordinal within the type, or -1 when there is none. */
    public int index() {
        return index;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.type.equals(type) && d.index == index;
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + index;
    }

    /** Prints like {@code cpu} or {@code cuda:0}. */
    @Override
    public String toString() {
        return index < 0 ? type : type + ":" + index;
    }
}

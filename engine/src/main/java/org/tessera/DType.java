package org.tessera;

/**
 * The element type of a tensor.
 *
 * <p>Names and promotion follow PyTorch: {@code float32} is the default for decimals,
 * {@code int64} for integers, and mixing types promotes by category (bool &lt; integer &lt;
 * floating) and then by width.
 *
 * <pre>{@code
 * DType.promote(DType.INT32, DType.FLOAT32)  // FLOAT32
 * DType.promote(DType.INT32, DType.INT64)    // INT64
 * }</pre>
 */
public enum DType {
    /** 32-bit IEEE 754 float; the default for decimal data. */
    FLOAT32("float32", 4, Category.FLOATING),
    /** 64-bit IEEE 754 float. */
    FLOAT64("float64", 8, Category.FLOATING),
    /** 32-bit signed integer. */
    INT32("int32", 4, Category.INTEGRAL),
    /** 64-bit signed integer; the default for integer data. */
    INT64("int64", 8, Category.INTEGRAL),
    /** Boolean, stored as one byte per element (0 or 1). */
    BOOL("bool", 1, Category.BOOLEAN);

    /** The category that type promotion compares first. */
    public enum Category { BOOLEAN, INTEGRAL, FLOATING }

    private final String displayName;
    private final int byteSize;
    private final Category category;

    DType(String displayName, int byteSize, Category category) {
        this.displayName = displayName;
        this.byteSize = byteSize;
        this.category = category;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Boolean, integral or floating. */
    public Category category() {
        return category;
    }

    /** Whether this is float32 or float64, the types that can require gradients. */
    public boolean isFloatingPoint() {
        return category == Category.FLOATING;
    }

    /** The default type of decimal data and of results that must be floating. */
    public static DType defaultFloat() {
        return FLOAT32;
    }

    /**
     * The type that holds both arguments, as PyTorch's {@code promote_types}.
     *
     * <p>Example: {@code promote(INT64, FLOAT32)} is {@code FLOAT32}.
     */
    public static DType promote(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (a.category != b.category) {
            return a.category.compareTo(b.category) > 0 ? a : b;
        }
        return a.byteSize >= b.byteSize ? a : b;
    }

    /** Parses a name such as {@code "float32"} or {@code "int64"}. */
    public static DType of(String name) {
        for (DType t : values()) {
            if (t.displayName.equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("dtype: unknown name '" + name
                + "'; expected one of float32, float64, int32, int64, bool");
    }

    /** The PyTorch-style name, for example {@code float32}. */
    @Override
    public String toString() {
        return displayName;
    }
}

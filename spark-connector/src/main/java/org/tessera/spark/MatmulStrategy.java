package org.tessera.spark;

import java.util.Locale;

/**
 * How a distributed matrix product is computed; {@link #AUTO} chooses by size and layout.
 * Force one with the key {@code spark.tessera.matmul.strategy} or {@link TesseraSession#matmulStrategy}.
 */
public enum MatmulStrategy {
    /** Choose: broadcast a local or small operand, self product when both are split along the inner dim, else shuffle. */
    AUTO,
    /** Collect the smaller operand and broadcast it; every task multiplies its own blocks (no shuffle). */
    BROADCAST,
    /** Both operands split along the inner dim on the same partitions (as {@code XᵀX}); partial products summed. */
    SELF_PRODUCT,
    /** Shuffle-based block product: blocks of both sides sent to the task of each output block. */
    SHUFFLE;

    /** Parses {@code auto}, {@code broadcast}, {@code selfProduct} (or {@code self_product}), {@code shuffle}. */
    public static MatmulStrategy parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
        return switch (k) {
            case "auto" -> AUTO;
            case "broadcast" -> BROADCAST;
            case "selfproduct" -> SELF_PRODUCT;
            case "shuffle" -> SHUFFLE;
            default -> throw new IllegalArgumentException("unknown matmul strategy '" + s
                    + "'; expected auto, broadcast, selfProduct or shuffle");
        };
    }

    /** The spelling used in the configuration. */
    public String confValue() {
        return switch (this) {
            case AUTO -> "auto";
            case BROADCAST -> "broadcast";
            case SELF_PRODUCT -> "selfProduct";
            case SHUFFLE -> "shuffle";
        };
    }
}

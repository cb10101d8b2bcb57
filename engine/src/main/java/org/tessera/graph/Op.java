package org.tessera.graph;

/**
 * The closed set of primitive operations. Every other tensor operation is a composition of
 * these; each primitive has one gradient rule ({@link org.tessera.autograd.GradientRules})
 * and one kernel per backend.
 */
public enum Op {
    // sources
    /** Data already in a buffer (from Java arrays, Arrow, or a realized value). */
    CONSTANT(Kind.SOURCE),
    /** Every element the same value. */
    FILL(Kind.SOURCE),
    /** {@code start + i * step}. */
    ARANGE(Kind.SOURCE),
    /** Uniform [0, 1), a pure function of (seed, stream, element index). */
    RAND(Kind.SOURCE),
    /** Standard normal, a pure function of (seed, stream, element index). */
    RANDN(Kind.SOURCE),

    // elementwise, one input
    NEG(Kind.UNARY), EXP(Kind.UNARY), LOG(Kind.UNARY), SQRT(Kind.UNARY), ABS(Kind.UNARY),
    SIGN(Kind.UNARY), TANH(Kind.UNARY), SIN(Kind.UNARY), COS(Kind.UNARY),
    /** Logical not of a bool tensor. */
    NOT(Kind.UNARY),
    /** Conversion to the node's dtype. */
    CAST(Kind.UNARY),

    // elementwise, two inputs, broadcasting
    ADD(Kind.BINARY), SUB(Kind.BINARY), MUL(Kind.BINARY), DIV(Kind.BINARY), POW(Kind.BINARY),
    MAXIMUM(Kind.BINARY), MINIMUM(Kind.BINARY),
    EQ(Kind.BINARY), NE(Kind.BINARY), LT(Kind.BINARY), LE(Kind.BINARY), GT(Kind.BINARY), GE(Kind.BINARY),
    AND(Kind.BINARY), OR(Kind.BINARY),

    // elementwise, three inputs
    /** {@code cond ? a : b}, broadcasting all three. */
    WHERE(Kind.TERNARY),

    // reductions over chosen dims
    SUM(Kind.REDUCE), PROD(Kind.REDUCE), MAX(Kind.REDUCE), MIN(Kind.REDUCE),
    ARGMAX(Kind.REDUCE), ARGMIN(Kind.REDUCE),

    // movement: views where the layout allows
    RESHAPE(Kind.MOVEMENT), PERMUTE(Kind.MOVEMENT), EXPAND(Kind.MOVEMENT),
    /** Start/step per dimension; the node's shape gives the counts. */
    SLICE(Kind.MOVEMENT),
    /** Zeros of the node's shape with the input written at a slice (the adjoint of SLICE). */
    SLICE_SCATTER(Kind.OTHER),
    CAT(Kind.OTHER),

    /** Batched product {@code [B, M, K] @ [B, K, N]}. */
    MATMUL(Kind.OTHER),
    /** Elements where a same-shaped bool mask is true, as 1-D. */
    MASKED_SELECT(Kind.OTHER),
    /** Zeros of the mask's shape with the 1-D input written where the mask is true. */
    MASKED_SCATTER(Kind.OTHER);

    /** How a backend treats the op. */
    public enum Kind { SOURCE, UNARY, BINARY, TERNARY, REDUCE, MOVEMENT, OTHER }

    private final Kind kind;

    Op(Kind kind) {
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the op maps elements one to one (and can be fused into a single pass). */
    public boolean isElementwise() {
        return kind == Kind.UNARY || kind == Kind.BINARY || kind == Kind.TERNARY;
    }

    /** Whether the result is bool whatever the inputs (comparisons and logic). */
    public boolean isComparison() {
        return this == EQ || this == NE || this == LT || this == LE || this == GT || this == GE;
    }

    /** Whether gradients flow through the op. */
    public boolean isDifferentiable() {
        return !(isComparison() || this == NOT || this == AND || this == OR
                || this == ARGMAX || this == ARGMIN || kind == Kind.SOURCE);
    }
}

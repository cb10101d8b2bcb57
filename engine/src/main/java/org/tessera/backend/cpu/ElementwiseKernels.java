package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.graph.Op;

/**
 * Tight loops over tiles, one per (op, kind). The switch picks a loop once per tile, never
 * per element, so the JIT sees simple counted loops that it can vectorize.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {
    }

    static void unary(Op op, Kind k, Object in, Object out, int n) {
        switch (k) {
            case F32 -> unaryF((float[]) in, (float[]) out, n, op);
            case F64 -> unaryD((double[]) in, (double[]) out, n, op);
            case I64 -> unaryL((long[]) in, (long[]) out, n, op);
        }
    }

    private static void unaryF(float[] a, float[] o, int n, Op op) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) o[i] = -a[i]; }
            case EXP -> { for (int i = 0; i < n; i++) o[i] = (float) Math.exp(a[i]); }
            case LOG -> { for (int i = 0; i < n; i++) o[i] = (float) Math.log(a[i]); }
            case SQRT -> { for (int i = 0; i < n; i++) o[i] = (float) Math.sqrt(a[i]); }
            case ABS -> { for (int i = 0; i < n; i++) o[i] = Math.abs(a[i]); }
            case SIGN -> { for (int i = 0; i < n; i++) o[i] = a[i] > 0 ? 1 : a[i] < 0 ? -1 : 0; } // NaN and -0 give 0, as in PyTorch
            case TANH -> { for (int i = 0; i < n; i++) o[i] = (float) Math.tanh(a[i]); }
            case SIN -> { for (int i = 0; i < n; i++) o[i] = (float) Math.sin(a[i]); }
            case COS -> { for (int i = 0; i < n; i++) o[i] = (float) Math.cos(a[i]); }
            default -> throw unsupported(op, Kind.F32);
        }
    }

    /**
     * C's {@code pow}, as PyTorch computes it: Java's {@code Math.pow} differs only where the base is
     * 1 (any exponent, NaN included, gives 1 in C) or -1 with an infinite exponent (1 in C).
     */
    static double pow(double a, double b) {
        if (a == 1.0 || (a == -1.0 && Double.isInfinite(b))) {
            return 1.0;
        }
        return Math.pow(a, b);
    }

    private static void unaryD(double[] a, double[] o, int n, Op op) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) o[i] = -a[i]; }
            case EXP -> { for (int i = 0; i < n; i++) o[i] = Math.exp(a[i]); }
            case LOG -> { for (int i = 0; i < n; i++) o[i] = Math.log(a[i]); }
            case SQRT -> { for (int i = 0; i < n; i++) o[i] = Math.sqrt(a[i]); }
            case ABS -> { for (int i = 0; i < n; i++) o[i] = Math.abs(a[i]); }
            case SIGN -> { for (int i = 0; i < n; i++) o[i] = a[i] > 0 ? 1 : a[i] < 0 ? -1 : 0; } // NaN and -0 give 0, as in PyTorch
            case TANH -> { for (int i = 0; i < n; i++) o[i] = Math.tanh(a[i]); }
            case SIN -> { for (int i = 0; i < n; i++) o[i] = Math.sin(a[i]); }
            case COS -> { for (int i = 0; i < n; i++) o[i] = Math.cos(a[i]); }
            default -> throw unsupported(op, Kind.F64);
        }
    }

    private static void unaryL(long[] a, long[] o, int n, Op op) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) o[i] = -a[i]; }
            case ABS -> { for (int i = 0; i < n; i++) o[i] = Math.abs(a[i]); }
            case SIGN -> { for (int i = 0; i < n; i++) o[i] = Long.signum(a[i]); }
            case NOT -> { for (int i = 0; i < n; i++) o[i] = a[i] == 0 ? 1 : 0; }
            default -> throw unsupported(op, Kind.I64);
        }
    }

    /** Arithmetic with the result in the inputs' kind. */
    static void binary(Op op, Kind k, Object a, Object b, Object out, int n) {
        switch (k) {
            case F32 -> binaryF((float[]) a, (float[]) b, (float[]) out, n, op);
            case F64 -> binaryD((double[]) a, (double[]) b, (double[]) out, n, op);
            case I64 -> binaryL((long[]) a, (long[]) b, (long[]) out, n, op);
        }
    }

    private static void binaryF(float[] a, float[] b, float[] o, int n, Op op) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[i] = a[i] + b[i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[i] = a[i] - b[i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[i] = a[i] * b[i]; }
            case DIV -> { for (int i = 0; i < n; i++) o[i] = a[i] / b[i]; }
            case POW -> {
                if (allEqual(b, n, 2f)) {
                    // float * float is exact in double, so pow(x, 2) rounded to float is x * x in float
                    for (int i = 0; i < n; i++) o[i] = a[i] * a[i];
                } else {
                    for (int i = 0; i < n; i++) o[i] = (float) pow(a[i], b[i]);
                }
            }
            case MAXIMUM -> { for (int i = 0; i < n; i++) o[i] = Math.max(a[i], b[i]); }
            case MINIMUM -> { for (int i = 0; i < n; i++) o[i] = Math.min(a[i], b[i]); }
            default -> throw unsupported(op, Kind.F32);
        }
    }

    private static boolean allEqual(float[] b, int n, float v) {
        for (int i = 0; i < n; i++) {
            if (b[i] != v) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@link #binaryScalar} has a loop for {@code op} on {@code k} tiles. */
    static boolean hasScalarLoop(Op op, Kind k) {
        return k != Kind.I64 && (op == Op.ADD || op == Op.SUB || op == Op.MUL || op == Op.DIV || op == Op.MAXIMUM
                || op == Op.MINIMUM);
    }

    /**
     * {@code a op s} (or {@code s op a} when {@code scalarFirst}) with a constant operand: the
     * same arithmetic as {@link #binary} on a tile filled with {@code s}, one stream fewer.
     */
    static void binaryScalar(Op op, Kind k, Object in, double s, boolean scalarFirst, Object out, int n) {
        if (k == Kind.F32) {
            float[] a = (float[]) in, o = (float[]) out;
            float c = (float) s;
            switch (op) {
                // addition and multiplication commute exactly, so one loop serves either operand order
                case ADD -> { for (int i = 0; i < n; i++) o[i] = a[i] + c; }
                case MUL -> { for (int i = 0; i < n; i++) o[i] = a[i] * c; }
                case SUB -> {
                    if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = c - a[i]; }
                    else { for (int i = 0; i < n; i++) o[i] = a[i] - c; }
                }
                case DIV -> {
                    if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = c / a[i]; }
                    else { for (int i = 0; i < n; i++) o[i] = a[i] / c; }
                }
                case MAXIMUM -> {
                    if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = Math.max(c, a[i]); }
                    else { for (int i = 0; i < n; i++) o[i] = Math.max(a[i], c); }
                }
                case MINIMUM -> {
                    if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = Math.min(c, a[i]); }
                    else { for (int i = 0; i < n; i++) o[i] = Math.min(a[i], c); }
                }
                default -> throw unsupported(op, k);
            }
            return;
        }
        double[] a = (double[]) in, o = (double[]) out;
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[i] = a[i] + s; }
            case MUL -> { for (int i = 0; i < n; i++) o[i] = a[i] * s; }
            case SUB -> {
                if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = s - a[i]; }
                else { for (int i = 0; i < n; i++) o[i] = a[i] - s; }
            }
            case DIV -> {
                if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = s / a[i]; }
                else { for (int i = 0; i < n; i++) o[i] = a[i] / s; }
            }
            case MAXIMUM -> {
                if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = Math.max(s, a[i]); }
                else { for (int i = 0; i < n; i++) o[i] = Math.max(a[i], s); }
            }
            case MINIMUM -> {
                if (scalarFirst) { for (int i = 0; i < n; i++) o[i] = Math.min(s, a[i]); }
                else { for (int i = 0; i < n; i++) o[i] = Math.min(a[i], s); }
            }
            default -> throw unsupported(op, k);
        }
    }

    private static void binaryD(double[] a, double[] b, double[] o, int n, Op op) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[i] = a[i] + b[i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[i] = a[i] - b[i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[i] = a[i] * b[i]; }
            case DIV -> { for (int i = 0; i < n; i++) o[i] = a[i] / b[i]; }
            case POW -> { for (int i = 0; i < n; i++) o[i] = pow(a[i], b[i]); }
            case MAXIMUM -> { for (int i = 0; i < n; i++) o[i] = Math.max(a[i], b[i]); }
            case MINIMUM -> { for (int i = 0; i < n; i++) o[i] = Math.min(a[i], b[i]); }
            default -> throw unsupported(op, Kind.F64);
        }
    }

    private static void binaryL(long[] a, long[] b, long[] o, int n, Op op) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[i] = a[i] + b[i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[i] = a[i] - b[i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[i] = a[i] * b[i]; }
            case POW -> { for (int i = 0; i < n; i++) o[i] = intPow(a[i], b[i]); }
            case MAXIMUM -> { for (int i = 0; i < n; i++) o[i] = Math.max(a[i], b[i]); }
            case MINIMUM -> { for (int i = 0; i < n; i++) o[i] = Math.min(a[i], b[i]); }
            case AND -> { for (int i = 0; i < n; i++) o[i] = (a[i] != 0 && b[i] != 0) ? 1 : 0; }
            case OR -> { for (int i = 0; i < n; i++) o[i] = (a[i] != 0 || b[i] != 0) ? 1 : 0; }
            default -> throw unsupported(op, Kind.I64);
        }
    }

    /** Integer power by squaring; negative exponents give 0 except for bases 1 and -1. */
    static long intPow(long base, long exp) {
        if (exp < 0) {
            return base == 1 ? 1 : base == -1 ? ((exp & 1) == 0 ? 1 : -1) : 0;
        }
        long r = 1;
        while (exp > 0) {
            if ((exp & 1) != 0) {
                r *= base;
            }
            base *= base;
            exp >>= 1;
        }
        return r;
    }

    /** Comparisons: inputs of kind {@code k}, result 0/1 in a long tile. */
    static void compare(Op op, Kind k, Object a, Object b, long[] o, int n) {
        switch (k) {
            case F32 -> compareF((float[]) a, (float[]) b, o, n, op);
            case F64 -> compareD((double[]) a, (double[]) b, o, n, op);
            case I64 -> compareL((long[]) a, (long[]) b, o, n, op);
        }
    }

    private static void compareF(float[] a, float[] b, long[] o, int n, Op op) {
        switch (op) {
            case EQ -> { for (int i = 0; i < n; i++) o[i] = a[i] == b[i] ? 1 : 0; }
            case NE -> { for (int i = 0; i < n; i++) o[i] = a[i] != b[i] ? 1 : 0; }
            case LT -> { for (int i = 0; i < n; i++) o[i] = a[i] < b[i] ? 1 : 0; }
            case LE -> { for (int i = 0; i < n; i++) o[i] = a[i] <= b[i] ? 1 : 0; }
            case GT -> { for (int i = 0; i < n; i++) o[i] = a[i] > b[i] ? 1 : 0; }
            case GE -> { for (int i = 0; i < n; i++) o[i] = a[i] >= b[i] ? 1 : 0; }
            default -> throw unsupported(op, Kind.F32);
        }
    }

    private static void compareD(double[] a, double[] b, long[] o, int n, Op op) {
        switch (op) {
            case EQ -> { for (int i = 0; i < n; i++) o[i] = a[i] == b[i] ? 1 : 0; }
            case NE -> { for (int i = 0; i < n; i++) o[i] = a[i] != b[i] ? 1 : 0; }
            case LT -> { for (int i = 0; i < n; i++) o[i] = a[i] < b[i] ? 1 : 0; }
            case LE -> { for (int i = 0; i < n; i++) o[i] = a[i] <= b[i] ? 1 : 0; }
            case GT -> { for (int i = 0; i < n; i++) o[i] = a[i] > b[i] ? 1 : 0; }
            case GE -> { for (int i = 0; i < n; i++) o[i] = a[i] >= b[i] ? 1 : 0; }
            default -> throw unsupported(op, Kind.F64);
        }
    }

    private static void compareL(long[] a, long[] b, long[] o, int n, Op op) {
        switch (op) {
            case EQ -> { for (int i = 0; i < n; i++) o[i] = a[i] == b[i] ? 1 : 0; }
            case NE -> { for (int i = 0; i < n; i++) o[i] = a[i] != b[i] ? 1 : 0; }
            case LT -> { for (int i = 0; i < n; i++) o[i] = a[i] < b[i] ? 1 : 0; }
            case LE -> { for (int i = 0; i < n; i++) o[i] = a[i] <= b[i] ? 1 : 0; }
            case GT -> { for (int i = 0; i < n; i++) o[i] = a[i] > b[i] ? 1 : 0; }
            case GE -> { for (int i = 0; i < n; i++) o[i] = a[i] >= b[i] ? 1 : 0; }
            default -> throw unsupported(op, Kind.I64);
        }
    }

    /** {@code out = cond != 0 ? a : b}. */
    static void where(long[] c, Kind k, Object a, Object b, Object out, int n) {
        switch (k) {
            // bit selects instead of ?: so that random conditions cost no branch mispredictions
            case F32 -> {
                float[] x = (float[]) a, y = (float[]) b, o = (float[]) out;
                for (int i = 0; i < n; i++) {
                    int m = (int) -c[i];
                    o[i] = Float.intBitsToFloat((Float.floatToRawIntBits(x[i]) & m)
                            | (Float.floatToRawIntBits(y[i]) & ~m));
                }
            }
            case F64 -> {
                double[] x = (double[]) a, y = (double[]) b, o = (double[]) out;
                for (int i = 0; i < n; i++) {
                    long m = -c[i];
                    o[i] = Double.longBitsToDouble((Double.doubleToRawLongBits(x[i]) & m)
                            | (Double.doubleToRawLongBits(y[i]) & ~m));
                }
            }
            case I64 -> {
                long[] x = (long[]) a, y = (long[]) b, o = (long[]) out;
                for (int i = 0; i < n; i++) {
                    long m = -c[i];
                    o[i] = (x[i] & m) | (y[i] & ~m);
                }
            }
        }
    }

    /** {@code max(x, 0)} for float tiles (NaN stays NaN). */
    static void relu(Kind k, Object in, Object out, int n) {
        if (k == Kind.F32) {
            ReduceLoops.get().relu((float[]) in, (float[]) out, n);
        } else {
            double[] a = (double[]) in, o = (double[]) out;
            for (int i = 0; i < n; i++) o[i] = Math.max(a[i], 0d);
        }
    }

    /** Converts a tile to the kind of {@code to}, with C casts (truncation toward zero). */
    static void cast(Kind from, Object in, DType to, Object out, int n) {
        Kind k = Kind.of(to);
        switch (from) {
            case F32 -> {
                float[] a = (float[]) in;
                switch (k) {
                    case F32 -> System.arraycopy(a, 0, out, 0, n);
                    case F64 -> { double[] o = (double[]) out; for (int i = 0; i < n; i++) o[i] = a[i]; }
                    case I64 -> {
                        long[] o = (long[]) out;
                        if (to == DType.BOOL) {
                            for (int i = 0; i < n; i++) o[i] = a[i] != 0 ? 1 : 0;
                        } else {
                            for (int i = 0; i < n; i++) o[i] = (long) a[i];
                        }
                    }
                }
            }
            case F64 -> {
                double[] a = (double[]) in;
                switch (k) {
                    case F32 -> { float[] o = (float[]) out; for (int i = 0; i < n; i++) o[i] = (float) a[i]; }
                    case F64 -> System.arraycopy(a, 0, out, 0, n);
                    case I64 -> {
                        long[] o = (long[]) out;
                        if (to == DType.BOOL) {
                            for (int i = 0; i < n; i++) o[i] = a[i] != 0 ? 1 : 0;
                        } else {
                            for (int i = 0; i < n; i++) o[i] = (long) a[i];
                        }
                    }
                }
            }
            case I64 -> {
                long[] a = (long[]) in;
                switch (k) {
                    case F32 -> { float[] o = (float[]) out; for (int i = 0; i < n; i++) o[i] = a[i]; }
                    case F64 -> { double[] o = (double[]) out; for (int i = 0; i < n; i++) o[i] = a[i]; }
                    case I64 -> System.arraycopy(a, 0, out, 0, n);
                }
            }
        }
        normalize(to, out, n);
    }

    /** Wraps long tiles to the range of int32 or bool, as storing and reloading would. */
    static void normalize(DType t, Object tile, int n) {
        if (t == DType.INT32) {
            long[] o = (long[]) tile;
            for (int i = 0; i < n; i++) o[i] = (int) o[i];
        } else if (t == DType.BOOL) {
            long[] o = (long[]) tile;
            for (int i = 0; i < n; i++) o[i] = o[i] != 0 ? 1 : 0;
        }
    }

    private static UnsupportedOperationException unsupported(Op op, Kind k) {
        return new UnsupportedOperationException("no CPU kernel for " + op + " on " + k
                + " tiles (the op builder should have cast the inputs)");
    }
}

package org.tessera.autograd;

import static org.tessera.autograd.GradCheck.input;
import static org.tessera.autograd.GradCheck.scalar;
import static org.tessera.autograd.GradCheck.uniform;

import java.util.ArrayList;
import java.util.List;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Op;
import org.tessera.ops.Indexing;
import org.tessera.ops.Linalg;
import org.tessera.ops.Movement;

/**
 * The gradient-check cases for the differentiable primitives of {@link Op}: at least one per
 * primitive, with broadcasting and non-contiguous (transposed, sliced) inputs where the op
 * takes them. {@link PrimitiveGradientTest} runs them and fails when a differentiable
 * primitive has none.
 */
final class PrimitiveGradCases {
    private PrimitiveGradCases() {
    }

    /** One check: the primitive it covers, a label, the function and its inputs. */
    record Case(Op op, String name, GradCheck.Fn f, double eps, double atol, double rtol, GradCheck.Input... inputs) {
        @Override
        public String toString() {
            return op + ": " + name;
        }
    }

    private static final List<Case> CASES = new ArrayList<>();

    private static void add(Op op, String name, GradCheck.Fn f, GradCheck.Input... inputs) {
        CASES.add(new Case(op, name, f, GradCheck.EPS, GradCheck.ATOL, GradCheck.RTOL, inputs));
    }

    private static Tensor boolMask(boolean[] values, long... shape) {
        long[] v = new long[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = values[i] ? 1 : 0;
        }
        return Tessera.fromArray(v, shape).ne(0);
    }

    static {
        // ---- unary
        add(Op.NEG, "[2, 3]", x -> x[0].neg(), uniform(1, -2, 2, 2, 3));
        add(Op.NEG, "transposed", x -> x[0].t().neg(), uniform(2, -2, 2, 3, 2));
        add(Op.EXP, "[2, 3]", x -> x[0].exp(), uniform(3, -1, 1, 2, 3));
        add(Op.EXP, "transposed", x -> x[0].t().exp(), uniform(4, -1, 1, 3, 2));
        add(Op.LOG, "[2, 3]", x -> x[0].log(), uniform(5, 0.5, 2, 2, 3));
        add(Op.LOG, "sliced with step", x -> x[0].get("::2").log(), uniform(6, 0.5, 2, 4, 3));
        add(Op.SQRT, "[2, 3]", x -> x[0].sqrt(), uniform(7, 0.5, 2, 2, 3));
        add(Op.SQRT, "column slice", x -> x[0].get(":, 1").sqrt(), uniform(8, 0.5, 2, 3, 3));
        add(Op.ABS, "away from 0", x -> x[0].abs(), input(new double[] {-1.5, -0.3, 0.4, 2.0, -0.7, 1.1}, 2, 3));
        add(Op.ABS, "transposed", x -> x[0].t().abs(), input(new double[] {-1.5, -0.3, 0.4, 2.0, -0.7, 1.1}, 3, 2));
        add(Op.SIGN, "away from 0 (a zero gradient)", x -> x[0].sign().add(x[0]),
                input(new double[] {-1.5, -0.3, 0.4, 2.0, -0.7, 1.1}, 2, 3));
        add(Op.TANH, "[2, 3]", x -> x[0].tanh(), uniform(9, -2, 2, 2, 3));
        add(Op.TANH, "permuted", x -> x[0].permute(2, 0, 1).tanh(), uniform(10, -2, 2, 2, 3, 2));
        add(Op.SIN, "[2, 3]", x -> x[0].sin(), uniform(11, -3, 3, 2, 3));
        add(Op.SIN, "transposed", x -> x[0].t().sin(), uniform(12, -3, 3, 3, 2));
        add(Op.COS, "[2, 3]", x -> x[0].cos(), uniform(13, -3, 3, 2, 3));
        add(Op.COS, "sliced", x -> x[0].get("1:3, ::2").cos(), uniform(14, -3, 3, 4, 3));
        // through float32 and back: the numeric side sees float32 rounding, hence a larger eps
        CASES.add(new Case(Op.CAST, "float64 to float32 and back", x -> x[0].to(DType.FLOAT32).mul(3).to(DType.FLOAT64),
                1e-2, 1e-4, 1e-4, uniform(15, -1, 1, 2, 3)));

        // ---- binary, with broadcasting and views
        add(Op.ADD, "[2, 3] + [3]", x -> x[0].add(x[1]), uniform(20, -1, 1, 2, 3), uniform(21, -1, 1, 3));
        add(Op.ADD, "transposed + [2, 1]", x -> x[0].t().add(x[1]), uniform(22, -1, 1, 3, 2), uniform(23, -1, 1, 2, 1));
        add(Op.ADD, "scalar + [3]", x -> x[0].add(x[1]), scalar(0.7), uniform(24, -1, 1, 3));
        add(Op.SUB, "[2, 1] - [1, 3]", x -> x[0].sub(x[1]), uniform(25, -1, 1, 2, 1), uniform(26, -1, 1, 1, 3));
        add(Op.SUB, "sliced - transposed", x -> x[0].get("::2").sub(x[1].t()), uniform(27, -1, 1, 4, 3),
                uniform(28, -1, 1, 3, 2));
        add(Op.MUL, "transposed * [3]", x -> x[0].t().mul(x[1]), uniform(29, -2, 2, 3, 2), uniform(30, -2, 2, 3));
        add(Op.MUL, "same input twice", x -> x[0].mul(x[0]), uniform(31, -2, 2, 2, 3));
        add(Op.DIV, "[2, 3] / [2, 1]", x -> x[0].div(x[1]), uniform(32, -2, 2, 2, 3), uniform(33, 0.5, 2, 2, 1));
        add(Op.DIV, "sliced / transposed", x -> x[0].get(":, 1:").div(x[1].t()), uniform(34, -2, 2, 3, 3),
                uniform(35, 0.5, 2, 2, 3));
        add(Op.POW, "base and exponent, broadcast", x -> x[0].pow(x[1]), uniform(36, 0.5, 2, 2, 3),
                uniform(37, -1.5, 2.5, 3));
        add(Op.POW, "transposed base, [2, 1] exponent", x -> x[0].t().pow(x[1]), uniform(38, 0.5, 2, 3, 2),
                uniform(39, -1, 3, 2, 1));
        add(Op.POW, "number exponent 3.5", x -> x[0].pow(3.5), uniform(40, 0.5, 2, 2, 3));
        add(Op.POW, "negative base, integral exponent", x -> x[0].pow(3.0), uniform(41, -2, -0.5, 2, 3));
        add(Op.MAXIMUM, "[2, 3] and [3]", x -> x[0].maximum(x[1]), uniform(42, -1, 1, 2, 3), uniform(43, -1, 1, 3));
        add(Op.MAXIMUM, "transposed and sliced", x -> x[0].t().maximum(x[1].get("::2")), uniform(44, -1, 1, 3, 2),
                uniform(45, -1, 1, 4, 3));
        add(Op.MINIMUM, "[2, 3] and [2, 1]", x -> x[0].minimum(x[1]), uniform(46, -1, 1, 2, 3),
                uniform(47, -1, 1, 2, 1));
        add(Op.MINIMUM, "transposed", x -> x[0].minimum(x[1].t()), uniform(48, -1, 1, 2, 3), uniform(49, -1, 1, 3, 2));

        // ---- ternary
        add(Op.WHERE, "fixed mask, broadcast branches", x -> Tessera.where(
                boolMask(new boolean[] {true, false, true, false, false, true}, 2, 3), x[0], x[1]),
                uniform(50, -1, 1, 2, 3), uniform(51, -1, 1, 3));
        add(Op.WHERE, "mask from the input, transposed branch", x -> Tessera.where(x[0].gt(0), x[0], x[1].t().mul(2)),
                input(new double[] {-1.5, 0.3, 0.8, -0.2, 1.1, -0.9}, 2, 3), uniform(52, -1, 1, 3, 2));

        // ---- reductions
        add(Op.SUM, "all", x -> x[0].sum(), uniform(60, -1, 1, 2, 3));
        add(Op.SUM, "dims 0 and 2", x -> x[0].sum(new int[] {0, 2}, false), uniform(61, -1, 1, 2, 3, 4));
        add(Op.SUM, "dim 1 of transposed, keepDim", x -> x[0].t().sum(1, true), uniform(62, -1, 1, 2, 3));
        add(Op.PROD, "no zeros, dim 1", x -> x[0].prod(1, false), uniform(63, 0.5, 1.5, 2, 3));
        add(Op.PROD, "one zero", x -> x[0].prod(), input(new double[] {2, 0, 3, -1.5}, 4));
        add(Op.PROD, "two zeros", x -> x[0].prod(), input(new double[] {0, 2, 0, 3}, 4));
        add(Op.PROD, "rows with no, one and two zeros", x -> x[0].prod(1, false),
                input(new double[] {1, 2, 3, 0, 2, 3, 0, 0, 3}, 3, 3));
        add(Op.PROD, "columns of a transpose, with zeros", x -> x[0].t().prod(1, true),
                input(new double[] {1.5, 0, 0, -2, 0, 0.5}, 3, 2));
        add(Op.MAX, "all", x -> x[0].max(), uniform(64, -1, 1, 2, 3));
        add(Op.MAX, "dim 1", x -> x[0].max(1).values(), uniform(65, -1, 1, 3, 4));
        add(Op.MAX, "dims 0 and 2 of a permute, keepDim", x -> x[0].permute(1, 0, 2).amax(new int[] {0, 2}, true),
                uniform(66, -1, 1, 2, 3, 2));
        add(Op.MIN, "all", x -> x[0].min(), uniform(67, -1, 1, 2, 3));
        add(Op.MIN, "dim 0 of a transpose", x -> x[0].t().min(0).values(), uniform(68, -1, 1, 3, 4));

        // ---- movement
        add(Op.RESHAPE, "contiguous", x -> x[0].reshape(3, 2), uniform(70, -1, 1, 2, 3));
        add(Op.RESHAPE, "of a transpose (copies)", x -> x[0].t().reshape(6), uniform(71, -1, 1, 2, 3));
        add(Op.PERMUTE, "(2, 0, 1)", x -> x[0].permute(2, 0, 1), uniform(72, -1, 1, 2, 3, 4));
        add(Op.EXPAND, "[3, 1] to [3, 4]", x -> x[0].expand(3, 4), uniform(73, -1, 1, 3, 1));
        add(Op.EXPAND, "[3] to [2, 3]", x -> x[0].expand(2, 3), uniform(74, -1, 1, 3));
        add(Op.SLICE, "rows 1:5:2", x -> x[0].slice(0, 1, 5, 2), uniform(75, -1, 1, 5, 4));
        add(Op.SLICE, "1:, ::2 of a transpose", x -> x[0].t().get("1:, ::2"), uniform(76, -1, 1, 5, 3));
        add(Op.SLICE_SCATTER, "into rows 1, 3 and cols 0, 2", x -> Movement.sliceScatter(x[0], Shape.of(4, 3),
                new long[] {1, 0}, new long[] {2, 2}), uniform(77, -1, 1, 2, 2));
        add(Op.SLICE_SCATTER, "of a transpose", x -> Movement.sliceScatter(x[0].t(), Shape.of(3, 5),
                new long[] {0, 1}, new long[] {1, 1}), uniform(78, -1, 1, 3, 3));
        add(Op.CAT, "dim 0", x -> Tessera.cat(x[0], x[1]), uniform(79, -1, 1, 2, 3), uniform(80, -1, 1, 1, 3));
        add(Op.CAT, "dim 1, transposed and sliced", x -> Tessera.cat(List.of(x[0].t(), x[1].get(":, ::2"), x[0].t()), 1),
                uniform(81, -1, 1, 2, 3), uniform(82, -1, 1, 3, 3));

        // ---- matmul and masks
        add(Op.MATMUL, "[2, 3] @ [3, 4]", x -> x[0].matmul(x[1]), uniform(90, -1, 1, 2, 3), uniform(91, -1, 1, 3, 4));
        add(Op.MATMUL, "batched primitive on transposes", x -> Linalg.primitive(x[0].transpose(1, 2), x[1]),
                uniform(92, -1, 1, 2, 3, 2), uniform(93, -1, 1, 2, 3, 4));
        add(Op.MASKED_SELECT, "fixed mask", x -> x[0].maskedSelect(
                boolMask(new boolean[] {true, false, true, true, false, false}, 2, 3)), uniform(94, -1, 1, 2, 3));
        add(Op.MASKED_SELECT, "x[x > 0] of a transpose", x -> x[0].t().get(x[0].t().gt(0)),
                input(new double[] {-1.5, 0.3, 0.8, -0.2, 1.1, -0.9}, 2, 3));
        add(Op.MASKED_SCATTER, "three values into [2, 3]", x -> Indexing.maskedScatter(x[0],
                boolMask(new boolean[] {false, true, true, false, true, false}, 2, 3)), uniform(95, -1, 1, 3));
        add(Op.MASKED_SCATTER, "from a strided slice", x -> Indexing.maskedScatter(x[0].get("::2"),
                boolMask(new boolean[] {true, false, true, true}, 4)), uniform(96, -1, 1, 5));
    }

    /** Every case, in declaration order. */
    static List<Case> all() {
        return List.copyOf(CASES);
    }
}

package org.tessera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.tessera.memory.LeakCheck;
import org.tessera.memory.Memory;

/**
 * Bad input fails at the call, with a message naming the op and the values involved, and
 * leaves every other tensor intact and usable.
 */
@ExtendWith(LeakCheck.class)
class BadInputTest {

    /** Tensors in every state (realized, lazy, with gradient history) checked after each failure. */
    private static final class Others {
        final Tensor realized = Tessera.tensor(new float[][] {{1, 2}, {3, 4}}).realize();
        final Tensor lazy = realized.mul(10).add(1);
        final Tensor leaf = Tessera.tensor(new double[] {1, 2, 3}, DType.FLOAT64).requiresGrad(true);
        final Tensor loss = leaf.mul(leaf).sum();

        void assertIntact() {
            assertTrue(Tessera.isGradEnabled(), "grad mode must be restored");
            assertArrayEquals(new float[] {1, 2, 3, 4}, realized.toFloatArray());
            assertArrayEquals(new float[] {11, 21, 31, 41}, lazy.toFloatArray());
            assertArrayEquals(new float[] {12, 23, 34, 45}, lazy.add(realized).toFloatArray());
            assertEquals(14, loss.item());
            loss.backward();
            assertArrayEquals(new double[] {2, 4, 6}, leaf.grad().toDoubleArray());
            leaf.zeroGrad();
        }
    }

    private static <T extends Throwable> T fails(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain '" + f + "': " + e.getMessage());
        }
        return e;
    }

    @Test
    void addOfShapesThatDoNotBroadcastNamesBothShapes() {
        Others others = new Others();
        Tensor a = Tessera.ones(2, 3);
        Tensor b = Tessera.ones(4);
        fails(IllegalArgumentException.class, () -> a.add(b), "add", "[2, 3]", "[4]", "3 vs 4");
        assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2}, a.add(1).toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0, 0}, b.sub(1).toFloatArray());
        others.assertIntact();
    }

    @Test
    void subtractionWithABoolOperandIsRefusedAsInPyTorch() {
        Tensor mask = Tessera.tensor(new boolean[] {true, false});
        Tensor ints = Tessera.tensor(new long[] {3, 4});
        fails(IllegalArgumentException.class, () -> mask.sub(ints), "sub", "bool [2] - int64 [2]", "logicalNot");
        fails(IllegalArgumentException.class, () -> ints.sub(mask), "sub", "int64 [2] - bool [2]");
        fails(IllegalArgumentException.class, () -> mask.sub(1), "sub", "bool [2] - 1");
        fails(IllegalArgumentException.class, () -> mask.sub(mask), "sub");
        assertArrayEquals(new float[] {2, 3}, ints.sub(1).to(DType.FLOAT32).toFloatArray());
        assertArrayEquals(new float[] {0, 1}, mask.logicalNot().to(DType.FLOAT32).toFloatArray());
    }

    @Test
    void matmulWithDifferentInnerDimsNamesShapesAndSizes() {
        Others others = new Others();
        Tensor a = Tessera.ones(4, 3);
        Tensor b = Tessera.ones(5, 2);
        fails(IllegalArgumentException.class, () -> a.matmul(b), "matmul", "[4, 3] @ [5, 2]", "(3)", "(5)");
        fails(IllegalArgumentException.class, () -> Tessera.ones(3).matmul(Tessera.ones(4)), "matmul", "[3]", "[4]");
        assertEquals(Shape.of(4, 4), a.matmul(a.t()).shape());
        assertArrayEquals(new float[] {3, 3}, a.matmul(a.t()).get(0).get("0:2").toFloatArray());
        others.assertIntact();
    }

    @Test
    void whereWithANonBoolConditionNamesItsDtype() {
        Others others = new Others();
        Tensor c = Tessera.ones(3);
        fails(IllegalArgumentException.class, () -> Tessera.where(c, 1, 0), "where", "float32", "bool");
        assertArrayEquals(new float[] {1, 1, 1}, Tessera.where(c.gt(0), c, 0).toFloatArray());
        others.assertIntact();
    }

    @Test
    void meanOfAnIntegerTensorNamesItsDtype() {
        Others others = new Others();
        Tensor i = Tessera.tensor(new long[] {1, 2, 3, 4});
        fails(IllegalArgumentException.class, i::mean, "mean", "int64");
        assertEquals(2.5, i.to(DType.FLOAT32).mean().item());
        others.assertIntact();
    }

    @Test
    void indexPastTheEndNamesIndexDimAndSize() {
        Others others = new Others();
        Tensor x = Tessera.tensor(new long[] {10, 20, 30});
        fails(IndexOutOfBoundsException.class, () -> x.get(5), "index", "5", "dimension 0", "size 3");
        fails(IndexOutOfBoundsException.class, () -> x.get("3"), "index", "3", "size 3");
        fails(IndexOutOfBoundsException.class, () -> Tessera.zeros(2, 3).get(0, 3), "3", "dimension 1", "size 3");
        fails(IllegalArgumentException.class, () -> x.get(0, 0), "too many indices", "[3]");
        assertEquals(30, x.get(2).longItem());
        others.assertIntact();
    }

    @Test
    void negativeIndicesCountFromTheEndAndFailPastTheStart() {
        Others others = new Others();
        Tensor x = Tessera.tensor(new long[] {10, 20, 30});
        assertEquals(30, x.get(-1).longItem());
        assertEquals(10, x.get(-3).longItem());
        fails(IndexOutOfBoundsException.class, () -> x.get(-4), "index", "-4", "size 3");
        fails(IndexOutOfBoundsException.class, () -> x.set(1, -4), "set", "-4", "size 3");
        assertArrayEquals(new long[] {20, 30}, x.get("-2:").toLongArray());
        others.assertIntact();
    }

    @Test
    void otherShapeAndArgumentErrorsNameOpAndValues() {
        Others others = new Others();
        Tensor x = Tessera.ones(2, 3);
        fails(IllegalArgumentException.class, () -> x.reshape(4, 2), "reshape", "[4, 2]", "6");
        fails(IllegalArgumentException.class, () -> x.permute(0, 0), "permute", "0");
        fails(IllegalArgumentException.class, () -> x.sum(2), "sum", "dimension 2", "[2, 3]");
        fails(IllegalArgumentException.class, () -> x.expand(4, 4), "expand", "[2, 3]", "4");
        fails(IllegalArgumentException.class, () -> Tessera.cat(List.of(x, Tessera.ones(2, 2)), 0), "cat", "[2, 3]",
                "[2, 2]");
        fails(IllegalArgumentException.class, () -> x.slice(1, 0L, 2L, 0), "slice", "step", "0");
        fails(IllegalArgumentException.class, () -> x.item(), "item", "6", "[2, 3]");
        fails(IllegalArgumentException.class, () -> Tessera.tensor(new int[][] {{1, 2}, {3}}), "tensor", "ragged");
        fails(IllegalArgumentException.class, () -> x.get("1:x"), "index", "1:x");
        fails(IllegalArgumentException.class, () -> x.get(x), "mask", "float32");
        fails(IllegalArgumentException.class, () -> Tessera.tensor(new long[] {2}).pow(-1), "pow", "-1", "int64");
        fails(IllegalArgumentException.class, () -> Tessera.ones(2, 2, 2).t(), "t", "[2, 2, 2]");
        fails(IllegalArgumentException.class, () -> Tessera.arange(0, 5, 0), "arange", "step");
        fails(IllegalArgumentException.class, () -> Device.of("cuda:-1"), "device", "cuda:-1", "negative");
        fails(IllegalArgumentException.class, () -> Tessera.eye(-1), "eye", "-1");
        fails(IllegalArgumentException.class, () -> Tessera.stack(List.of(x, x), 3), "stack", "3", "[2, 3]", "[-3, 2]");
        fails(IllegalArgumentException.class, () -> x.softmax(2), "softmax", "2", "[2, 3]");
        fails(IllegalArgumentException.class, () -> Tessera.zeros(0, 3).logSoftmax(-3), "log_softmax", "-3");
        fails(IllegalArgumentException.class, () -> Device.of("cuda:x"), "device", "cuda:x");
        assertArrayEquals(new float[] {3, 3}, x.sum(1).toFloatArray());
        others.assertIntact();
    }

    @Test
    void backwardOnANonScalarWithoutGradientNamesTheShape() {
        Others others = new Others();
        Tensor x = Tessera.tensor(new double[] {1, 2, 3}, DType.FLOAT64).requiresGrad(true);
        Tensor y = x.mul(2);
        fails(IllegalArgumentException.class, y::backward, "backward", "[3]", "scalar");
        fails(IllegalArgumentException.class, () -> y.backward(Tessera.ones(DType.FLOAT64, 2)), "backward", "[2]",
                "[3]");
        y.backward(Tessera.ones(DType.FLOAT64, 3));
        assertArrayEquals(new double[] {2, 2, 2}, x.grad().toDoubleArray());
        others.assertIntact();
    }

    @Test
    void backwardThroughTensorsThatNeedNoGradIsRefused() {
        Others others = new Others();
        Tensor x = Tessera.tensor(new double[] {1, 2, 3}, DType.FLOAT64);
        Tensor s = x.mul(x).sum();
        fails(IllegalStateException.class, s::backward, "backward", "does not require grad");
        Tensor d = others.leaf.mul(2).detach().sum();
        fails(IllegalStateException.class, d::backward, "backward");
        assertEquals(14, s.item());
        others.assertIntact();
    }

    @Test
    void tensorRealizedInAClosedScopeFailsWithAClearMessage() {
        Others others = new Others();
        Tensor kept;
        Tensor gone;
        try (Scope scope = Tessera.scope()) {
            gone = Tessera.tensor(new float[] {1, 2, 3}).mul(2).realize();
            kept = scope.keep(Tessera.tensor(new float[] {4, 5, 6}).mul(2));
            assertArrayEquals(new float[] {2, 4, 6}, gone.toFloatArray());
        }
        fails(IllegalStateException.class, gone::toFloatArray, "released buffer", "MUL", "[3]", "scope.keep");
        fails(IllegalStateException.class, () -> gone.add(1), "add", "input 0", "[3] float32", "released buffer",
                "MUL");
        fails(IllegalStateException.class, () -> kept.mul(gone), "mul", "input 1", "released buffer");
        fails(IllegalStateException.class, gone::toString, "released buffer");
        assertArrayEquals(new float[] {8, 10, 12}, kept.toFloatArray());
        assertArrayEquals(new float[] {9, 11, 13}, kept.add(1).toFloatArray());
        others.assertIntact();
    }

    @Test
    void allocationOverTheLimitNamesBytesLimitAndWhat() {
        Others others = new Others();
        others.lazy.realize();
        long limit = Memory.limit();
        Tensor big = Tessera.zeros(250_000);
        try {
            Memory.setLimit(Memory.allocatedBytes() + 64 * 1024);
            TesseraMemoryException e = fails(TesseraMemoryException.class, big::realize, "allocate", "1000000 bytes",
                    "[250000]", "limit", String.valueOf(Memory.limit()));
            assertTrue(e.getMessage().contains("tessera.memory.limit"), e.getMessage());
            // small tensors still fit
            assertArrayEquals(new float[] {2, 4, 6, 8}, others.realized.mul(2).toFloatArray());
        } finally {
            Memory.setLimit(limit);
        }
        assertEquals(limit, Memory.limit());
        assertEquals(0, big.sum().item());
        others.assertIntact();
    }

    @Test
    void nonPositiveMemoryLimitIsRefused() {
        long limit = Memory.limit();
        fails(IllegalArgumentException.class, () -> Memory.setLimit(0), "memory limit", "0");
        assertEquals(limit, Memory.limit());
    }

    @Test
    void requiresGradOnAnIntegerTensorNamesTheDtype() {
        Others others = new Others();
        Tensor i = Tessera.arange(3);
        fails(IllegalArgumentException.class, () -> i.requiresGrad(true), "requiresGrad", "int64");
        assertArrayEquals(new long[] {0, 1, 2}, i.toLongArray());
        others.assertIntact();
    }
    @Test
    void aValueThatDoesNotFitTheDtypeIsRefusedWhereItWouldBeStored() {
        Others others = new Others();
        // PyTorch: "value cannot be converted to type int32 without overflow" for each of these
        fails(IllegalArgumentException.class, () -> Tessera.full(DType.INT32, 1L << 40, 2), "full", "1099511627776",
                "int32", "overflow");
        fails(IllegalArgumentException.class, () -> Tessera.full(DType.INT32, 3e9, 2), "full", "3.0E9", "int32");
        fails(IllegalArgumentException.class, () -> Tessera.full(DType.INT32, 2147483647.5, 2), "full", "int32");
        fails(IllegalArgumentException.class, () -> Tessera.full(DType.INT64, 1e30, 2), "full", "1.0E30", "int64");
        fails(IllegalArgumentException.class, () -> Tessera.full(DType.INT64, Double.NaN, 2), "full", "NaN", "int64");
        fails(IllegalArgumentException.class, () -> Tessera.full(DType.INT32, Double.POSITIVE_INFINITY, 2), "full",
                "Infinity");
        fails(IllegalArgumentException.class, () -> Tessera.full(DType.FLOAT32, 1e39, 2), "full", "1.0E39", "float32");
        fails(IllegalArgumentException.class, () -> Tessera.tensor(new long[] {1, 1L << 40}, DType.INT32), "tensor",
                "1099511627776", "int32");
        fails(IllegalArgumentException.class, () -> Tessera.tensor(new double[] {1, Double.NaN}, DType.INT64), "tensor",
                "NaN", "int64");
        Tensor i = Tessera.zeros(DType.INT32, 3).realize();
        fails(IllegalArgumentException.class, () -> i.set(1L << 40, 0), "set", "1099511627776", "int32");
        fails(IllegalArgumentException.class, () -> i.maskedFill(i.eq(0), 3e9), "maskedFill", "3.0E9", "int32");
        assertArrayEquals(new int[] {0, 0, 0}, i.toIntArray());
        // what fits is stored as PyTorch stores it: a fraction truncated toward zero, the int32 minimum,
        // float32's infinity, and a float32 value beyond its largest only as an infinity
        assertArrayEquals(new int[] {-2, -2}, Tessera.full(DType.INT32, -2.7, 2).toIntArray());
        assertArrayEquals(new int[] {Integer.MIN_VALUE}, Tessera.full(DType.INT32, -2147483648L, 1).toIntArray());
        assertArrayEquals(new long[] {-(1L << 62)}, Tessera.full(DType.INT64, -0x1p62, 1).toLongArray());
        assertEquals(Float.POSITIVE_INFINITY, Tessera.full(DType.FLOAT32, Double.POSITIVE_INFINITY, 1).item());
        assertArrayEquals(new int[] {7, 0, 0}, i.set(7.9, 0).toIntArray());
        // arithmetic with a scalar converts as the dtype's arithmetic does (PyTorch: int32 + 2^40 wraps to + 0)
        assertArrayEquals(new int[] {8, 1, 1}, i.add(1L << 40).add(1).toIntArray());
        others.assertIntact();
    }
}

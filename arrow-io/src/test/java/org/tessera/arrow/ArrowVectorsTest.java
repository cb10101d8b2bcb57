package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

@ExtendWith(LeakCheck.class)
class ArrowVectorsTest {

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeRoundTripsThroughItsVector(DType dtype, BufferAllocator alloc) {
        Tensor t = Samples.of(dtype, 7);
        try (FieldVector v = ArrowVectors.toVector(t, "x", alloc)) {
            assertEquals(7, v.getValueCount());
            assertEquals(0, v.getNullCount());
            assertEquals(Samples.vectorClass(dtype), v.getClass());
            Tensor back = ArrowVectors.fromVector(v);
            assertEquals(dtype, back.dtype());
            assertEquals(t.shape(), back.shape());
            assertArrayEquals(t.toDoubleArray(), back.toDoubleArray());
        }
    }

    @Test
    void vectorSharesTheTensorsMemoryBothWays(BufferAllocator alloc) {
        Tensor t = Tessera.tensor(new float[] {1, 2, 3});
        try (Float4Vector v = (Float4Vector) ArrowVectors.toVector(t, "x", alloc)) {
            t.set(10, 0);
            assertEquals(10f, v.get(0));
            v.set(1, 20f);
            assertArrayEquals(new float[] {10, 20, 3}, t.toFloatArray());
        }
    }

    @Test
    void tensorSharesTheVectorsMemoryBothWays(BufferAllocator alloc) {
        try (BigIntVector v = new BigIntVector("i", alloc)) {
            v.allocateNew(4);
            for (int i = 0; i < 4; i++) {
                v.set(i, i * 10L);
            }
            v.setValueCount(4);
            Tensor t = ArrowVectors.fromVector(v);
            assertEquals(DType.INT64, t.dtype());
            v.set(2, 99L);
            assertEquals(99, t.get(2).longItem());
            t.set(-5, 3);
            assertEquals(-5L, v.get(3));
        }
    }

    @Test
    void sharedVectorOutlivesTheTensorsScope(BufferAllocator alloc) {
        FieldVector v;
        try (var inner = Tessera.scope()) {
            v = ArrowVectors.toVector(Tessera.fromArray(new double[] {1.5, 2.5}), "d", alloc);
        }
        try (Float8Vector d = (Float8Vector) v) {
            assertEquals(2.5, d.get(1));
        }
    }

    @Test
    void stridedTensorIsCopiedIntoTheVector(BufferAllocator alloc) {
        Tensor base = Tessera.arange(0, 10, 1, DType.INT32);
        Tensor every2 = base.get("::2");
        try (IntVector v = (IntVector) ArrowVectors.toVector(every2, "e", alloc)) {
            assertEquals(5, v.getValueCount());
            assertEquals(8, v.get(4));
            base.set(100, 8);
            assertEquals(8, v.get(4), "a strided tensor is copied, so later writes are not seen");
        }
    }

    @Test
    void boolTensorIsPackedIntoBits(BufferAllocator alloc) {
        Tensor t = Tessera.tensor(new boolean[] {true, false, true, true, false, false, false, false, true});
        try (BitVector v = (BitVector) ArrowVectors.toVector(t, "b", alloc)) {
            assertEquals(1, v.get(0));
            assertEquals(0, v.get(1));
            assertEquals(1, v.get(8));
            assertArrayEquals(t.toBooleanArray(), ArrowVectors.fromVector(v).toBooleanArray());
        }
    }

    @Test
    void vectorWithNullsFailsUnlessGivenAFill(BufferAllocator alloc) {
        try (Float8Vector v = new Float8Vector("n", alloc)) {
            v.allocateNew(3);
            v.set(0, 1.0);
            v.setNull(1);
            v.set(2, 3.0);
            v.setValueCount(3);
            TesseraIOException e = assertThrows(TesseraIOException.class, () -> ArrowVectors.fromVector(v));
            assertTrue(e.getMessage().contains("'n'") && e.getMessage().contains("index 1"), e.getMessage());
            Tensor filled = ArrowVectors.fromVector(v, Double.NaN);
            assertEquals(3.0, filled.get(2).item());
            assertTrue(Double.isNaN(filled.get(1).item()));
            v.set(0, 42.0);
            assertEquals(1.0, filled.get(0).item(), "a filled vector is copied");
        }
    }

    @Test
    void unsupportedTypesFailWithTheTypeNamed(BufferAllocator alloc) {
        try (SmallIntVector s = new SmallIntVector("s", alloc); VarCharVector c = new VarCharVector("c", alloc)) {
            s.allocateNew(1);
            s.setValueCount(1);
            c.allocateNew(1);
            c.setValueCount(1);
            TesseraIOException e = assertThrows(TesseraIOException.class, () -> ArrowVectors.fromVector(s));
            assertTrue(e.getMessage().contains("Int(16, true)"), e.getMessage());
            assertThrows(TesseraIOException.class, () -> ArrowVectors.fromVector(c));
        }
    }

    @Test
    void lengthBeyondTheDataBufferIsRefused(BufferAllocator alloc) {
        try (IntVector real = new IntVector("real", alloc); IntVector v = new IntVector("short", alloc)) {
            real.allocateNew(4);
            real.setValueCount(4);
            long capacity = real.getDataBuffer().capacity();
            // a forged value count larger than the buffer
            v.loadFieldBuffers(new org.apache.arrow.vector.ipc.message.ArrowFieldNode(capacity, 0),
                    java.util.List.of(alloc.getEmpty(), real.getDataBuffer()));
            TesseraIOException e = assertThrows(TesseraIOException.class, () -> ArrowVectors.fromVector(v));
            assertTrue(e.getMessage().contains("does not match its buffer"), e.getMessage());
        }
    }

    @Test
    void higherRankAndForeignAllocatorsAreRefused(BufferAllocator alloc) {
        assertThrows(IllegalArgumentException.class, () -> ArrowVectors.toVector(Tessera.zeros(2, 2), "m", alloc));
        try (RootAllocator other = new RootAllocator()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArrowVectors.toVector(Tessera.zeros(2), "z", other));
            assertTrue(e.getMessage().contains("root allocator"), e.getMessage());
        }
    }

    @Test
    void emptyVectorGivesAnEmptyTensor(BufferAllocator alloc) {
        try (Float4Vector v = new Float4Vector("e", alloc)) {
            v.setValueCount(0);
            Tensor t = ArrowVectors.fromVector(v);
            assertEquals(0, t.numel());
            assertFalse(t.requiresGrad());
            assertInstanceOf(Tensor.class, t);
        }
    }

    @Test
    void anAllocatorTooSmallForTheVectorFailsNamingTheAllocatorAndTheTensor(BufferAllocator alloc) {
        try (BufferAllocator tiny = alloc.newChildAllocator("tiny", 0, 16)) {
            org.tessera.TesseraMemoryException e = assertThrows(org.tessera.TesseraMemoryException.class,
                    () -> ArrowVectors.toVector(Tessera.zeros(1 << 17), "z", tiny));
            assertTrue(e.getMessage().contains("toVector: the allocator 'tiny' (limit 16 bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("[131072] float32"), e.getMessage());
            assertEquals(0, tiny.getAllocatedMemory());
        }
    }
}

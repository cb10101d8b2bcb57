package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** Memory scopes: what they free, what {@code keep} saves, and reference-counted storage shared by views. */
@ExtendWith(LeakCheck.class)
class ScopeTest {

    @Test
    void closingAScopeFreesWhatWasRealizedInIt() {
        long before = Memory.allocatedBytes();
        Tensor t;
        try (Scope scope = Tessera.scope()) {
            t = Tessera.ones(1000).mul(3).realize();
            assertTrue(scope.allocatedBytes() >= 4000, "scope holds " + scope.allocatedBytes());
            assertTrue(Memory.allocatedBytes() >= before + 4000);
        }
        assertEquals(before, Memory.allocatedBytes());
        assertTrue(t.node().storage().isReleased());
    }

    @Test
    void keptTensorSurvivesTheScopeAndBelongsToTheEnclosingOne() {
        Tensor kept;
        try (Scope outer = Tessera.scope()) {
            try (Scope inner = Tessera.scope()) {
                kept = inner.keep(Tessera.tensor(new float[] {1, 2, 3}).add(1));
                assertEquals(0, outer.allocatedBytes() - outer.allocatedBytes());
            }
            assertArrayEquals(new float[] {2, 3, 4}, kept.toFloatArray());
            assertTrue(outer.allocatedBytes() > 0, "the kept buffer is accounted to the outer scope");
        }
        assertTrue(kept.node().storage().isReleased(), "closing the outer scope frees the kept buffer");
    }

    @Test
    void keepingAViewKeepsTheStorageItSharesWithItsBase() {
        Tensor base;
        Tensor view;
        try (Scope scope = Tessera.scope()) {
            base = Tessera.arange(0, 6, 1, DType.FLOAT32).reshape(2, 3).realize();
            view = base.t().realize();
            assertSame(base.node().storage(), view.node().storage());
            scope.keep(view);
        }
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, view.contiguous().toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, base.toFloatArray());
    }

    @Test
    void viewMadeInAnInnerScopeOfAnOuterTensorStaysValid() {
        Tensor base = Tessera.arange(0, 6, 1, DType.FLOAT32).reshape(2, 3).realize();
        Tensor view;
        try (Scope scope = Tessera.scope()) {
            view = base.t().get("1:").realize();
            assertEquals(0, scope.allocatedBytes(), "a view allocates nothing");
        }
        assertArrayEquals(new float[] {1, 4, 2, 5}, view.toFloatArray());
    }

    @Test
    void storageIsFreedWhenItsLastReferenceIsReleased() {
        long before = Memory.allocatedBytes();
        Storage s = Storage.allocate(100, "test buffer");
        assertTrue(Memory.allocatedBytes() >= before + 100);
        s.retain();
        s.release();
        assertFalse(s.isReleased());
        s.release();
        assertTrue(s.isReleased());
        assertEquals(before, Memory.allocatedBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, s::address);
        assertTrue(e.getMessage().contains("released buffer") && e.getMessage().contains("test buffer"), e.getMessage());
        assertThrows(IllegalStateException.class, s::retain);
    }

    @Test
    void scopesClosedOutOfOrderAreRefusedAndCanStillBeClosedInOrder() {
        Tensor outside = Tessera.tensor(new float[] {1, 2}).realize();
        Scope outer = Tessera.scope();
        Scope inner = Tessera.scope();
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("out of order"), e.getMessage());
        inner.close();
        outer.close();
        assertEquals(0, outer.allocatedBytes());
        // the thread's scopes are usable afterwards
        try (Scope s = Tessera.scope()) {
            assertArrayEquals(new float[] {2, 4}, outside.mul(2).toFloatArray());
            assertTrue(s.allocatedBytes() > 0);
        }
        assertArrayEquals(new float[] {1, 2}, outside.toFloatArray());
    }

    @Test
    void closingAScopeTwiceIsHarmless() {
        Scope s = Tessera.scope();
        Tessera.ones(4).realize();
        s.close();
        s.close();
        assertEquals(0, s.allocatedBytes());
    }

    @Test
    void aLazyTensorMadeOutsideAScopeOutlivesTheScopeThatFirstReadsIt() {
        try (Scope outer = Tessera.scope()) {
            Tensor weights = Tessera.arange(0, 1000, 1, DType.FLOAT64).mul(0.5); // lazy, made in outer
            for (int step = 0; step < 3; step++) {
                try (Scope iteration = Tessera.scope()) {
                    // the first iteration computes weights; its buffer belongs to outer, not to this scope
                    // (a reduction alone would not materialize them: it consumes the chain tile by tile)
                    weights.realize();
                    assertEquals(0.5 * 999 * 1000 / 2, weights.sum().item(), 1e-9);
                    Tensor scratch = weights.add(step).realize();
                    assertTrue(iteration.allocatedBytes() >= 8000, "the step's own result is the step's");
                    assertFalse(scratch.node().storage().isReleased());
                }
            }
            assertTrue(outer.allocatedBytes() >= 8000, "weights are accounted to the scope they were made in");
            assertFalse(weights.node().storage().isReleased());
        }
    }

    @Test
    void aTensorMadeInAClosedScopeBelongsToTheScopeStillOpenAroundIt() {
        try (Scope outer = Tessera.scope()) {
            Tensor late;
            try (Scope inner = Tessera.scope()) {
                late = Tessera.ones(500).mul(2); // made in inner, not computed there
            }
            late.realize();
            assertEquals(1000.0, late.sum().item());
            assertTrue(outer.allocatedBytes() >= 2000);
            assertFalse(late.node().storage().isReleased());
        }
    }
}

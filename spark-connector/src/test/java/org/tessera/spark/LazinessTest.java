package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Building, explaining and printing a distributed program runs no Spark job: jobs start only when a
 * value is read, collected or persisted (counted by a listener on the shared session).
 */
class LazinessTest {
    private final TesseraSession ts = SharedSpark.session();

    private void assertNoJobs(String what, Supplier<Tensor> program) {
        int before = SharedSpark.jobsStarted();
        Tensor t = program.get();
        String plan = ts.explain(t);
        String printed = t.toString();
        int after = SharedSpark.jobsStarted();
        assertEquals(before, after, what + ": building, explaining and printing started "
                + (after - before) + " job(s); plan:\n" + plan);
        assertTrue(printed.startsWith("tensor(<not computed>, shape=" + t.shape()), what + " printed " + printed);
        assertTrue(printed.contains("device=spark"), printed);
    }

    @Test
    void noOpRunsAJobBeforeAValueIsRead() {
        Tensor x = ts.randn(DType.FLOAT64, new long[] {20_000, 100}, 5_000, 50);
        Tensor y = ts.randn(DType.FLOAT64, new long[] {20_000, 100}, 5_000, 50);
        Tensor w = Tessera.randn(Tessera.defaultGenerator(), DType.FLOAT64, 100, 1);
        assertNoJobs("elementwise then reduce over rows", () -> x.mul(2).sum(0));
        assertNoJobs("reduce over columns", () -> x.sum(1));
        assertNoJobs("full reduction", () -> x.square().mean());
        assertNoJobs("self product", () -> x.t().matmul(x));
        assertNoJobs("product with a slice of a transpose", () -> x.matmul(x.t().get(":, 0:1000")));
        assertNoJobs("product with a local operand", () -> x.matmul(w).sub(1).square().mean());
        assertNoJobs("product of two distributed operands, then a reduction", () -> x.t().matmul(y).sum(0));
        assertNoJobs("cat and stack", () -> Tessera.stack(List.of(Tessera.cat(x, y).get("0:20000"), y), 0).sum(1));
        assertNoJobs("batched product", () -> x.reshape(200, 100, 100).matmul(y.reshape(200, 100, 100)));
        assertNoJobs("reshape, transpose, slice", () -> x.reshape(100, 20_000).t().get("::3, 10:").flatten());
        assertNoJobs("indexing to one element", () -> x.get(5, 7).add(y.get(6, 8)));
        Tensor p = ts.distribute(w, 50, 1).requiresGrad(true);
        assertNoJobs("backward through a distributed forward pass", () -> {
            x.matmul(p).sub(1).square().mean().backward();
            return p.grad();
        });
    }

    @Test
    void aComputedTensorPrintsItsValues() {
        Tensor x = ts.persist(ts.distribute(Tessera.arange(0, 6, 1, DType.FLOAT64).reshape(2, 3), 1, 2));
        assertTrue(x.toString().startsWith("tensor(<not computed>"), x.toString());
        x.sum().item(); // computes and caches every block
        assertEquals("tensor([[0., 1., 2.],\n        [3., 4., 5.]], device='spark', dtype=torch.float64)",
                x.toString());
    }
}

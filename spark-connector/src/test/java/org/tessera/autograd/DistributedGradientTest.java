package org.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.Scope;
import org.tessera.Tessera;
import org.tessera.graph.Op;
import org.tessera.spark.SharedSpark;

/**
 * Every differentiable primitive's finite-difference gradient check (the engine's
 * {@link PrimitiveGradCases}: broadcasting, non-contiguous inputs, cat, batched matmul, reshape)
 * with its leaves distributed on the shared session, cut into two chunks along every dim: the
 * gradients that the distributed backward computes must match central differences of the same
 * function.
 */
class DistributedGradientTest {

    static Stream<PrimitiveGradCases.Case> cases() {
        return PrimitiveGradCases.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void distributedGradientMatchesFiniteDifferences(PrimitiveGradCases.Case c) {
        try (Scope ignored = Tessera.scope()) {
            java.util.Set<Op> ops = GradCheck.check(c.f(), c.eps(), c.atol(), c.rtol(), SharedSpark::splitEveryDim,
                    c.inputs());
            assertTrue(ops.contains(c.op()), "the case for " + c.op() + " does not use it; its graph holds " + ops);
        }
    }
}

package org.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.graph.Op;
import org.tessera.memory.LeakCheck;

/** Every differentiable primitive's gradient rule against central finite differences in float64. */
@ExtendWith(LeakCheck.class)
class PrimitiveGradientTest {

    static Stream<PrimitiveGradCases.Case> cases() {
        return PrimitiveGradCases.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(PrimitiveGradCases.Case c) {
        Set<Op> ops = GradCheck.check(c.f(), c.eps(), c.atol(), c.rtol(), c.inputs());
        assertTrue(ops.contains(c.op()), "the case for " + c.op() + " does not use it; its graph holds " + ops);
    }

    @Test
    void everyDifferentiablePrimitiveHasAGradientCheck() {
        Set<Op> covered = EnumSet.noneOf(Op.class);
        for (PrimitiveGradCases.Case c : PrimitiveGradCases.all()) {
            covered.add(c.op());
        }
        List<Op> missing = new ArrayList<>();
        for (Op op : Op.values()) {
            if (op.isDifferentiable() && !covered.contains(op)) {
                missing.add(op);
            }
        }
        assertTrue(missing.isEmpty(), "differentiable primitives without a gradient check in PrimitiveGradCases: "
                + missing);
    }

    @Test
    void casesOnlyNameDifferentiablePrimitives() {
        for (PrimitiveGradCases.Case c : PrimitiveGradCases.all()) {
            assertTrue(c.op().isDifferentiable(), c + " names a primitive without gradients");
        }
    }
}

package org.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.memory.LeakCheck;

/** The gradient checker itself: it must reject a wrong gradient. */
@ExtendWith(LeakCheck.class)
class GradCheckTest {

    @Test
    void rejectsAGradientThatMissesAPath() {
        // x * detach(x) has gradient x through backward, but 2x by finite differences
        AssertionError e = assertThrows(AssertionError.class,
                () -> GradCheck.check(x -> x[0].mul(x[0].detach()), GradCheck.uniform(1, 0.5, 1, 3)));
        assertTrue(e.getMessage().contains("analytic"), e.getMessage());
    }

    @Test
    void acceptsACorrectGradient() {
        GradCheck.check(x -> x[0].mul(x[0]), GradCheck.uniform(1, 0.5, 1, 3));
    }
}

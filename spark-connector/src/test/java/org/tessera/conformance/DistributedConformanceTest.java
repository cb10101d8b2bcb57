package org.tessera.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.spark.SharedSpark;
import org.tessera.spark.TesseraSession;

/**
 * The engine's PyTorch-oracle conformance suite, forward and backward, run a second time with
 * every input of rank 1 or more distributed on the shared {@code local[2]} session, cut into
 * blocks that split every dim of size 2 or more into (at least) two chunks, so that inputs span
 * several partitions. Every case must give PyTorch's values and gradients (or be rejected as
 * PyTorch rejects it): an op refused on distributed inputs fails its case.
 */
class DistributedConformanceTest {
    /** Cases whose distributed run differs on purpose, with the reason; reported as skipped. None at present. */
    private static final Map<String, String> DELIBERATE_DIFFERENCES = Map.of();

    private static final TesseraSession TS = SharedSpark.session();

    static Stream<OracleCase> cases() {
        return OracleCase.all().stream();
    }

    static Tensor distribute(Tensor t) {
        return SharedSpark.splitEveryDim(t);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorchOnDistributedInputs(OracleCase c) {
        String reason = DELIBERATE_DIFFERENCES.get(c.name());
        Assumptions.assumeTrue(reason == null, () -> "deliberate difference on distributed inputs: " + reason);
        try (Scope ignored = Tessera.scope()) {
            OpConformanceTest.check(c, null, DistributedConformanceTest::distribute);
        }
    }

    @Test
    void inputsAreSplitAlongEveryDimOverSeveralPartitions() {
        Tensor d = distribute(Tessera.arange(0, 24, 1).reshape(2, 3, 4));
        assertEquals(TS.device(), d.device());
        org.tessera.spark.BlockGrid g = TS.grid(d);
        assertEquals(2, g.numChunks(0));
        assertEquals(2, g.numChunks(1));
        assertEquals(2, g.numChunks(2));
        assertEquals(2, TS.blocks(d).getNumPartitions());
    }
}

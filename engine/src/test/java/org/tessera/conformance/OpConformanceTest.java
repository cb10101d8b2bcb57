package org.tessera.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.Device;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ValuesIndices;

/**
 * Every op, forward and backward, against values that PyTorch computed for the same programs
 * (the committed {@code oracle/cases.json} and {@code oracle/expected.json}; regenerate them
 * with {@code src/test/oracle/make_cases.py}). Each case runs on every available device.
 */
class OpConformanceTest {
    /**
     * Cases whose difference from PyTorch is a deliberate engine choice, with the reason; they
     * are reported as skipped, not dropped. None at present.
     */
    private static final Map<String, String> DELIBERATE_DIFFERENCES = Map.of();

    /** The devices this machine can run the suite on. */
    static Stream<Device> devices() {
        List<Device> out = new ArrayList<>();
        out.add(Device.CPU);
        if (Tessera.isCudaAvailable()) {
            out.add(Device.cuda(0));
        }
        return out.stream();
    }

    static Stream<Arguments> casesOnDevices() {
        return devices().flatMap(d -> OracleCase.all().stream().map(c -> Arguments.of(d, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("casesOnDevices")
    void matchesPyTorch(Device device, OracleCase c) {
        String reason = DELIBERATE_DIFFERENCES.get(c.name());
        Assumptions.assumeTrue(reason == null, () -> "deliberate difference from PyTorch: " + reason);
        try (Scope ignored = Tessera.scope()) {
            check(c, device, t -> t.to(device));
        }
    }

    /**
     * Runs case {@code c} with every tensor it makes placed by {@code place}, checking results and
     * gradients (and that they are on {@code device}, unless it is null) or the rejection PyTorch
     * gives. Shared with the distributed run of the suite.
     */
    static void check(OracleCase c, Device device, java.util.function.UnaryOperator<Tensor> place) {
        if (c.expectsError()) {
            checkRejected(device, c, place);
        } else {
            checkValues(device, c, place);
        }
    }

    private static void checkValues(Device device, OracleCase c, java.util.function.UnaryOperator<Tensor> place) {
        JsonNode spec = c.spec();
        JsonNode expected = c.expected();
        JsonNode backward = spec.get("backward");
        Set<String> wrt = new HashSet<>();
        if (backward != null) {
            backward.get("wrt").forEach(n -> wrt.add(n.asText()));
        }
        CaseInterpreter run = new CaseInterpreter(place);
        run.defineInputs(spec.get("inputs"), wrt);
        List<String> order = new ArrayList<>();
        if (spec.has("expr")) {
            run.bind("result", run.eval(spec.get("expr")));
            order.add("result");
        }
        for (JsonNode statement : spec.path("program")) {
            run.bind(statement);
            order.add(statement.get("out").asText());
        }
        long terms = largestInput(spec.get("inputs"));
        JsonNode outputs = expected.get("outputs");
        assertEquals(expectedOutputNames(spec, order), iterableNames(outputs), "outputs of " + c.name());
        outputs.fields().forEachRemaining(e ->
                ExpectedTensor.check(c.name() + ": " + e.getKey(), run.lookup(e.getKey()), e.getValue(), device, terms));
        if (backward == null) {
            return;
        }
        Object loss = run.lookup(backward.get("loss").asText());
        Tensor root = loss instanceof ValuesIndices vi ? vi.values() : (Tensor) loss;
        if (backward.has("grad_output")) {
            root.backward(run.tensor(backward.get("grad_output")));
        } else {
            root.backward();
        }
        expected.get("grads").fields().forEachRemaining(e -> {
            Tensor leaf = (Tensor) run.lookup(e.getKey());
            assertTrue(leaf.isLeaf(), "grad of " + e.getKey() + ": only inputs have gradients");
            if (e.getValue().isNull()) {
                assertNull(leaf.grad(), "grad of " + e.getKey() + ": the loss does not depend on it");
            } else {
                assertNotNull(leaf.grad(), "grad of " + e.getKey());
                ExpectedTensor.check(c.name() + ": grad of " + e.getKey(), leaf.grad(), e.getValue(), device, terms);
            }
        });
    }

    /** Every statement before the failing one must run; the failing one must be rejected. */
    private static void checkRejected(Device device, OracleCase c, java.util.function.UnaryOperator<Tensor> place) {
        JsonNode spec = c.spec();
        String at = c.expected().path("at").asText(null);
        assertNotNull(at, c.name() + ": the oracle names no failing statement");
        Class<? extends RuntimeException> type = spec.has("engine_error")
                ? exceptionType(spec.get("engine_error").asText()) : IllegalArgumentException.class;
        CaseInterpreter run = new CaseInterpreter(place);
        run.defineInputs(spec.get("inputs"), Set.of());
        for (JsonNode statement : spec.get("program")) {
            if (statement.get("out").asText().equals(at)) {
                RuntimeException e = assertThrows(type, () -> realize(run.bind(statement)),
                        "PyTorch rejects '" + at + "' with " + c.expected().get("error"));
                assertNotNull(e.getMessage(), "the error names the problem");
                return;
            }
            realize(run.bind(statement));
        }
        throw new AssertionError(c.name() + ": no statement named " + at);
    }

    private static void realize(Object v) {
        if (v instanceof Tensor t) {
            t.realize();
        } else if (v instanceof ValuesIndices vi) {
            vi.values().realize();
            vi.indices().realize();
        }
    }

    private static Class<? extends RuntimeException> exceptionType(String name) {
        return switch (name) {
            case "IndexOutOfBoundsException" -> IndexOutOfBoundsException.class;
            case "IllegalStateException" -> IllegalStateException.class;
            default -> throw new IllegalArgumentException("unknown engine_error " + name);
        };
    }

    private static List<String> expectedOutputNames(JsonNode spec, List<String> order) {
        JsonNode outs = spec.get("outputs");
        if (outs == null || outs.isNull()) {
            return order.subList(order.size() - 1, order.size());
        }
        if (outs.isTextual() && outs.asText().equals("all")) {
            return order;
        }
        List<String> names = new ArrayList<>();
        outs.forEach(n -> names.add(n.asText()));
        return names;
    }

    private static List<String> iterableNames(JsonNode obj) {
        List<String> names = new ArrayList<>();
        obj.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The element count of the largest input: a bound on the terms of any sum in the case. */
    private static long largestInput(JsonNode inputs) {
        long max = 1;
        for (JsonNode in : inputs) {
            long n = 1;
            if (in.has("shape")) {
                for (JsonNode s : in.get("shape")) {
                    n *= s.asLong();
                }
            } else {
                n = Math.max(1, in.get("data").size());
            }
            max = Math.max(max, n);
        }
        return max;
    }
}

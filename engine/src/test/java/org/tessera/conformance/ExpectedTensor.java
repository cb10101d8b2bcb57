package org.tessera.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.ValuesIndices;

/**
 * Compares an engine result with the oracle's: dtype, shape, device, booleans and integers
 * exactly, floats within a tolerance for the result's dtype.
 *
 * <p>The expected floats are exact (PyTorch computing in float64 on inputs that are exact in
 * float32). A float32 result may differ by the rounding of each step: about n·2⁻²⁴ relative
 * for an n-term sum or dot product, plus a few units for the elementwise functions, so the
 * allowed error is {@code rtol · (|expected| + max|expected|)} with {@code rtol = (16 + 2n)·2⁻²⁴}
 * and n the largest input's element count. Scaling by the largest value of the tensor keeps
 * the check meaningful after cancellation (a sum near zero of large terms). float64 results
 * use the same form with {@code rtol = 1e-12}. Non-finite values must match exactly.
 */
final class ExpectedTensor {
    private static final double F32_UNIT = Math.scalb(1.0, -24);
    private static final double F64_RTOL = 1e-12;

    private ExpectedTensor() {
    }

    /**
     * Checks {@code actual} (a Tensor or ValuesIndices) against an expected TENSOR or values/indices
     * pair, and its device unless {@code device} is null.
     */
    static void check(String what, Object actual, JsonNode expected, Device device, long terms) {
        if (expected.has("values") && expected.has("indices")) {
            ValuesIndices vi = assertInstanceOf(ValuesIndices.class, actual, what + ": expected a values/indices pair");
            check(what + ".values", vi.values(), expected.get("values"), device, terms);
            check(what + ".indices", vi.indices(), expected.get("indices"), device, terms);
            return;
        }
        Tensor t = assertInstanceOf(Tensor.class, actual, what + ": expected a tensor");
        DType dtype = DType.of(expected.get("dtype").asText());
        assertEquals(dtype, t.dtype(), what + ": dtype");
        assertArrayEquals(CaseInterpreter.longs(expected.get("shape")), t.shape().dims(), what + ": shape " + t.shape());
        if (device != null) {
            assertEquals(device, t.device(), what + ": device");
        }
        JsonNode data = expected.get("data");
        switch (dtype) {
            case BOOL -> {
                boolean[] got = t.toBooleanArray();
                for (int i = 0; i < got.length; i++) {
                    if (got[i] != data.get(i).asBoolean()) {
                        fail(what + ": element " + i + " is " + got[i] + ", expected " + data.get(i)
                                + "\n  got      " + java.util.Arrays.toString(got) + "\n  expected " + data);
                    }
                }
            }
            case INT32, INT64 -> {
                long[] got = t.toLongArray();
                for (int i = 0; i < got.length; i++) {
                    if (got[i] != data.get(i).asLong()) {
                        fail(what + ": element " + i + " is " + got[i] + ", expected " + data.get(i)
                                + "\n  got      " + java.util.Arrays.toString(got) + "\n  expected " + data);
                    }
                }
            }
            default -> compareFloats(what, t.toDoubleArray(), data,
                    dtype == DType.FLOAT32 ? (16 + 2.0 * terms) * F32_UNIT : F64_RTOL);
        }
    }

    private static void compareFloats(String what, double[] got, JsonNode data, double rtol) {
        double[] want = new double[got.length];
        double scale = 0;
        for (int i = 0; i < want.length; i++) {
            JsonNode d = data.get(i);
            want[i] = d.isTextual() ? Double.parseDouble(d.asText()) : d.asDouble();
            if (Double.isFinite(want[i])) {
                scale = Math.max(scale, Math.abs(want[i]));
            }
        }
        for (int i = 0; i < want.length; i++) {
            double w = want[i];
            double g = got[i];
            boolean ok = Double.isFinite(w) ? Math.abs(g - w) <= rtol * (Math.abs(w) + scale)
                    : Double.compare(g, w) == 0 || (Double.isNaN(g) && Double.isNaN(w));
            if (!ok) {
                fail(what + ": element " + i + " is " + g + ", expected " + w + " (relative tolerance " + rtol + ")"
                        + "\n  got      " + java.util.Arrays.toString(got)
                        + "\n  expected " + java.util.Arrays.toString(want));
            }
        }
    }
}

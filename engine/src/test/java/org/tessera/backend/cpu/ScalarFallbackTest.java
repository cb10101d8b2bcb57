package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tessera.Scope;
import org.tessera.Tessera;
import org.tessera.memory.ForkedJvm;

/**
 * The engine without the Vector API: a JVM started without {@code jdk.incubator.vector} (and one
 * with {@code tessera.simd=false}) selects the scalar loops and gives the same indices and
 * extremes as this JVM, and sums that agree to float32 rounding.
 */
class ScalarFallbackTest {

    private static Map<String, String> parse(String out) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0 && !line.startsWith("WARNING")) {
                m.put(line.substring(0, sp), line.substring(sp + 1).trim());
            }
        }
        return m;
    }

    private static double[] numbers(String list) {
        String s = list.replace("[", "").replace("]", "").trim();
        if (!s.contains(",")) {
            return new double[] {Double.parseDouble(s)};
        }
        String[] p = s.split(",\\s*");
        double[] d = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            d[i] = Double.parseDouble(p[i]);
        }
        return d;
    }

    private static void compare(String childOutput) {
        Map<String, String> child = parse(childOutput);
        Map<String, String> here;
        try (Scope s = Tessera.scope()) {
            here = parse(ScalarFallbackProbe.results(ScalarFallbackProbe.input()));
        }
        assertEquals("scalar", child.get("loops"), childOutput);
        for (Map.Entry<String, String> e : here.entrySet()) {
            String key = e.getKey();
            String theirs = child.get(key);
            if (key.startsWith("sum") || key.equals("chain")) {
                double[] a = numbers(e.getValue());
                double[] b = numbers(theirs);
                assertEquals(a.length, b.length, key);
                for (int i = 0; i < a.length; i++) {
                    if (Double.isNaN(a[i])) {
                        assertTrue(Double.isNaN(b[i]), key + "[" + i + "]: NaN here, " + b[i] + " without vectors");
                    } else {
                        assertEquals(a[i], b[i], 1e-4 * Math.max(1, Math.abs(a[i])), key + "[" + i + "]");
                    }
                }
            } else {
                assertEquals(e.getValue(), theirs, key);
            }
        }
    }

    @Test
    void aJvmWithoutTheVectorModuleUsesScalarLoopsWithTheSameResults() throws Exception {
        // the fork keeps the --add-opens flags but not --add-modules
        ForkedJvm.Result r = ForkedJvm.run(ScalarFallbackProbe.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(!r.output().contains("incubator"), "the child loaded the incubator module: " + r.output());
        compare(r.output());
    }

    @Test
    void theSimdPropertySelectsScalarLoops() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(ScalarFallbackProbe.class, "off");
        assertEquals(0, r.exitCode(), r.output());
        compare(r.output());
    }
}

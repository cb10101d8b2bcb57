package org.tessera.backend.cpu;

import java.util.Arrays;
import org.tessera.DType;
import org.tessera.Generator;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Prints which reduction loops this JVM selected and a few reductions of a fixed input, for
 * {@link ScalarFallbackTest} to compare with the same reductions in the test's own JVM.
 * Argument "off" sets {@code tessera.simd=false} before the engine reads it.
 */
public final class ScalarFallbackProbe {
    private ScalarFallbackProbe() {
    }

    /** The fixed input: 300 × 517 float32 normal values with NaN in two rows and two columns. */
    static Tensor input() {
        float[] v = Tessera.randn(new Generator(21), DType.FLOAT32, 300, 517).toFloatArray();
        v[7 * 517 + 100] = Float.NaN;
        v[8 * 517 + 3] = Float.NaN;
        v[250 * 517 + 3] = Float.NaN;
        return Tessera.fromArray(v, 300, 517);
    }

    /** The lines the probe prints (besides the loops' name). */
    static String results(Tensor x) {
        StringBuilder sb = new StringBuilder();
        for (int dim = 0; dim < 2; dim++) {
            var max = x.max(dim);
            sb.append("max").append(dim).append(' ').append(Arrays.toString(max.indices().toLongArray())).append('\n');
            sb.append("maxv").append(dim).append(' ').append(Arrays.toString(max.values().toFloatArray())).append('\n');
            sb.append("argmin").append(dim).append(' ').append(Arrays.toString(x.argmin(dim, false).toLongArray()))
                    .append('\n');
            sb.append("sum").append(dim).append(' ').append(Arrays.toString(x.sum(dim, false).toFloatArray())).append('\n');
        }
        Tensor finite = Tessera.where(x.eq(x), x, 0);
        sb.append("sum ").append(finite.sum().item()).append('\n');
        sb.append("chain ").append(finite.mul(3).add(1).relu().sum().item()).append('\n');
        return sb.toString();
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("off")) {
            System.setProperty("tessera.simd", "false");
        }
        System.out.println("loops " + ReduceLoops.get().describe());
        System.out.print(results(input()));
    }
}

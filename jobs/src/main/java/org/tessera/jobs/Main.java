package org.tessera.jobs;

import java.util.Arrays;

/**
 * The launcher's entry point: {@code tessera <job> [options]}.
 *
 * <p>Jobs: {@code tour} walks the tensor basics and prints the results.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println("usage: tessera <job> [options]\n\njobs:\n  tour    walk the tensor basics and print"
                    + " each result\n  bench-engine  CPU engine benchmark (matmul, fused chain, reductions)");
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "tour" -> Tour.main(rest);
            case "bench-engine" -> org.tessera.jobs.bench.EngineBenchmark.main(rest);
            default -> {
                System.err.println("tessera: unknown job '" + args[0] + "'; run 'tessera --help' for the list");
                System.exit(2);
            }
        }
    }
}

package org.tessera.jobs;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.tessera.jobs.bench.ClassifyBenchmark;
import org.tessera.jobs.bench.EngineBenchmark;
import org.tessera.jobs.bench.RegressionBenchmark;
import org.tessera.jobs.bench.ScoreBenchmark;
import org.tessera.jobs.classify.ClassifyJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The entry point of the launcher and of spark-submit: {@code tessera <job> [options]}.
 *
 * <p>A mistake in the options, or in the input they name, ends the job with one line on
 * standard error and exit code 2 (options) or 1 (input and run-time errors); set the
 * environment variable {@code TESSERA_STACKTRACE=1} to also print the stack trace.
 */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "Tessera 0.1.0",
        description = "Tensor jobs on Spark (an embedded local[*] Spark when no master is given).",
        subcommands = {RegressionJob.class, ClassifyJob.class, ScoreJob.class, MatmulJob.class, StatsJob.class,
            FashionMnistJob.class, Main.TourCommand.class, RegressionBenchmark.class, ClassifyBenchmark.class,
            ScoreBenchmark.class, Main.EngineBenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'tessera <job> --help' for the options of a job; './tessera shell' opens jshell with Tessera."})
public final class Main implements Runnable {
    private Main() {
    }

    /** Runs a job and exits with its status. */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.exit(code);
    }

    /** Runs a job; returns its exit status (0 on success). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        cmd.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            err.println(c.getCommandName().equals("tessera") ? "tessera: " + firstLine(ex.getMessage())
                    + " (see 'tessera --help')" : "tessera " + c.getCommandName() + ": " + firstLine(ex.getMessage())
                    + " (see 'tessera " + c.getCommandName() + " --help')");
            return 2;
        });
        cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("tessera " + c.getCommandName() + ": " + describe(ex));
            if (System.getenv("TESSERA_STACKTRACE") != null) {
                ex.printStackTrace(err);
            }
            return 1;
        });
        return cmd.execute(args);
    }

    /** Without a job: the list of jobs. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "no job given");
    }

    /**
     * One line that says what went wrong: the message of the innermost cause that has one (Spark
     * wraps task failures in exceptions whose message holds a whole remote stack trace).
     */
    static String describe(Throwable ex) {
        if (ex instanceof org.tessera.jobs.cli.JobException) {
            return firstLine(ex.getMessage());
        }
        Throwable best = ex;
        for (Throwable c = ex; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                best = c;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        String msg = best.getMessage() == null ? "" : firstLine(best.getMessage());
        // a task failure: keep what the remote exception said, not Spark's preamble
        int remote = msg.lastIndexOf("Exception: ");
        if (best instanceof org.apache.spark.SparkException && remote >= 0) {
            msg = msg.substring(remote + "Exception: ".length());
        }
        String type = best.getClass().getSimpleName();
        boolean plain = best instanceof IllegalArgumentException || best instanceof IllegalStateException;
        return (plain ? "" : type + ": ") + (msg.isEmpty() ? "(no message)" : msg);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /** {@code tessera tour}. */
    @Command(name = "tour", mixinStandardHelpOptions = true,
            description = "Walk the tensor basics (the PyTorch tutorial in Tessera's spelling), printing each result.")
    static final class TourCommand implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            Tour.main(new String[0]);
            return 0;
        }
    }

    /** {@code tessera bench-engine}. */
    @Command(name = "bench-engine", mixinStandardHelpOptions = true,
            description = "CPU engine benchmark: matmul, a fused elementwise chain and reductions, each next to a"
                    + " plain-Java reference.")
    static final class EngineBenchCommand implements Callable<Integer> {
        @CommandLine.Option(names = "--quick", description = "smaller sizes and fewer repetitions")
        boolean quick;

        @Parameters(hidden = true)
        List<String> rest = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<String> a = new ArrayList<>();
            if (quick) {
                a.add("--quick");
            }
            a.addAll(rest);
            EngineBenchmark.main(a.toArray(new String[0]));
            return 0;
        }
    }
}

package org.tessera.jobs.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Option;

/**
 * The Spark options every job shares: the master and extra settings. Without a master the job
 * uses the one spark-submit set (system property {@code spark.master}) or an embedded
 * {@code local[*]} Spark.
 */
public final class SparkOptions {
    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[2] or spark://host:7077 (default: the one spark-submit sets,"
                    + " else an embedded local[*])")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark or spark.tessera.* setting;"
            + " repeatable")
    Map<String, String> conf = new LinkedHashMap<>();

    /** The master named on the command line, or null. */
    public String master() {
        return master;
    }

    /** Adds a Spark or {@code spark.tessera.*} setting, as {@code --conf key=value} would. */
    public void config(String key, String value) {
        conf.put(key, value);
    }

    /** Uses {@code m} when neither the command line nor spark-submit named a master. */
    public void defaultMaster(String m) {
        if (master == null && System.getProperty("spark.master") == null) {
            master = m;
        }
    }

    /**
     * In an embedded Spark the tasks run in this process, and a failing task makes the executor and
     * the scheduler log its whole stack trace (several times, for retries) before the job reports the
     * error itself in one line: those two loggers are silenced, unless {@code TESSERA_STACKTRACE} asks
     * for the details.
     */
    static void quietTaskFailures() {
        if (System.getenv("TESSERA_STACKTRACE") != null) {
            return;
        }
        try {
            for (String logger : new String[] {"org.apache.spark.executor.Executor",
                "org.apache.spark.scheduler.TaskSetManager"}) {
                org.apache.logging.log4j.core.config.Configurator.setLevel(logger,
                        org.apache.logging.log4j.Level.OFF);
            }
        } catch (LinkageError e) {
            // another logging backend than Log4j 2: leave its configuration alone
        }
    }

    /** Starts (or joins, under spark-submit) the Spark session of a job. */
    public TesseraSession open(String appName) {
        TesseraSession.Builder b = TesseraSession.builder().appName("tessera " + appName);
        if (master != null) {
            b.master(master);
        }
        boolean embedded = master == null ? System.getProperty("spark.master") == null : master.startsWith("local");
        if (embedded) {
            b.config("spark.ui.enabled", "false");
            quietTaskFailures();
        }
        // the jobs draw their own progress; Spark's stage bar would interleave with it
        b.config("spark.ui.showConsoleProgress", "false");
        conf.forEach(b::config);
        return b.getOrCreate();
    }
}

package org.tessera.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tessera.jobs.data.Synthetic;

/**
 * A real cluster on this machine: a Spark standalone master and two workers, each its own JVM
 * on 127.0.0.1, and the regression job submitted to them through spark-submit (client mode) with
 * the spark jar that {@code mvn package} made. Executors are separate JVMs that fetch the jar, so
 * closures, blocks and the Kryo registrator (with registration required) must work across JVMs.
 *
 * <p>Every process is stopped after the test, passed or not (and by a shutdown hook if the test
 * JVM itself is stopped); every wait has a time limit.
 */
class ClusterIT {
    private static final int FEATURES = 6;
    private final List<Process> processes = new ArrayList<>();
    private final Path work = Path.of(System.getProperty("tessera.it.work", "target/cluster-it"));
    private final Thread reaper = new Thread(this::stopAll, "cluster-it-reaper");

    @AfterEach
    void stop() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException ignored) {
            // the JVM is already shutting down: the hook runs anyway
        }
    }

    private synchronized void stopAll() {
        for (Process p : processes) {
            // executors are children of the workers: stop them first, then the JVM itself
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void regressionJobSubmittedToAStandaloneClusterFindsTheTrueCoefficients() throws Exception {
        Runtime.getRuntime().addShutdownHook(reaper);
        Path jar = Path.of(required("tessera.it.jar"));
        Path conf = Path.of(required("tessera.it.conf"));
        assertTrue(Files.isRegularFile(jar), "the spark jar is missing: " + jar + " (run mvn package first)");
        String sparkClasspath = sparkClasspath(Path.of(required("tessera.it.classpath")));
        Path home = sparkHome(sparkClasspath);
        Path out = work.resolve("out");
        deleteTree(out);

        int masterPort = freePort();
        int masterUi = freePort();
        String master = "spark://127.0.0.1:" + masterPort;
        start("master", sparkClasspath, home, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(masterPort), "--webui-port", Integer.toString(masterUi));
        waitForPort(masterPort, 90);
        for (int w = 1; w <= 2; w++) {
            Path dir = work.resolve("worker" + w);
            Files.createDirectories(dir);
            start("worker" + w, sparkClasspath, home, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--port", Integer.toString(freePort()), "--webui-port", Integer.toString(freePort()),
                    "--cores", "1", "--memory", "1g", "--work-dir", dir.toString(), master);
        }
        waitForWorkers(masterUi, 2, 120);

        Process submit = submit("submit", sparkClasspath, home, master, conf, jar,
                "regression", "--rows", "40000", "--num-features", Integer.toString(FEATURES),
                "--partitions", "4", "--epochs", "15", "--out", out.toString());
        if (!submit.waitFor(4, TimeUnit.MINUTES)) {
            fail("spark-submit did not finish in 4 minutes\n" + logs());
        }
        assertEquals(0, submit.exitValue(), "spark-submit failed\n" + logs());

        String json = Files.readString(out.resolve("coefficients.json"), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"master\": \"" + master + "\""), json);
        assertTrue(json.contains("\"executors\": 2"), "both workers' executors took part\n" + json);
        assertTrue(json.contains("\"passed\": true"), "closed-form check\n" + json);
        double[] weights = numbers(json, "weights");
        double[] truth = Synthetic.trueWeights(FEATURES);
        assertEquals(FEATURES, weights.length, json);
        for (int j = 0; j < FEATURES; j++) {
            assertEquals(truth[j], weights[j], 0.01, "weight " + j + "\n" + json);
        }
        assertEquals(Synthetic.TRUE_BIAS, numbers(json, "bias")[0], 0.01, json);
        assertTrue(Files.size(out.resolve("loss.png")) > 1000, "loss.png written");

        // a distributed product whose persisted right side the tasks read from both executors' caches
        Process mm = submit("submit-matmul", sparkClasspath, home, master, conf, jar,
                "matmul", "-n", "600", "-k", "300", "-m", "400", "--block", "200", "--reps", "1",
                "--check");
        if (!mm.waitFor(4, TimeUnit.MINUTES)) {
            fail("spark-submit matmul did not finish in 4 minutes\n" + logs());
        }
        String mmOut = Files.readString(work.resolve("submit-matmul.log"), StandardCharsets.UTF_8);
        assertEquals(0, mm.exitValue(), "spark-submit matmul failed\n" + mmOut + logs());
        assertTrue(mmOut.contains("right side read in place"), mmOut);
        assertTrue(mmOut.contains("check against the single-node engine") && mmOut.contains("passed"), mmOut);
    }

    private static String required(String key) {
        String v = System.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("system property " + key + " is not set; run this test through Maven"
                    + " (mvn verify), which sets it");
        }
        return v;
    }

    /** Spark's own class path: the build's, without what the spark jar brings (as on a real cluster). */
    private static String sparkClasspath(Path file) throws IOException {
        String[] entries = Files.readString(file).trim().split(java.io.File.pathSeparator);
        List<String> keep = new ArrayList<>();
        for (String e : entries) {
            boolean own = e.contains("/org/tessera/") || e.contains("tessera-") || e.contains("/info/picocli/")
                    || e.contains("/org/bytedeco/") || e.contains("/org/jcuda/") || e.contains("arrow-memory-unsafe");
            if (!own && !e.isBlank()) {
                keep.add(e);
            }
        }
        return String.join(java.io.File.pathSeparator, keep);
    }

    /**
     * A Spark home whose {@code jars/} links to Spark's jars: workers start executors with
     * {@code $SPARK_HOME/jars/*} on the class path, as in a Spark distribution.
     */
    private Path sparkHome(String classpath) throws IOException {
        Path home = work.resolve("spark-home");
        Path jars = home.resolve("jars");
        deleteTree(home);
        Files.createDirectories(jars);
        for (String e : classpath.split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.endsWith(".jar") && Files.isRegularFile(p)) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        return home;
    }

    /** Submits the jobs jar to {@code master} (client mode, Kryo registration required) with the job's arguments. */
    private Process submit(String name, String classpath, Path home, String master, Path conf, Path jar,
                           String... jobArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--master", master, "--deploy-mode", "client",
                "--class", "org.tessera.jobs.Main",
                "--properties-file", conf.resolve("spark-defaults.conf").toString(),
                "--conf", "spark.executor.memory=640m",
                "--conf", "spark.executor.memoryOverhead=384m",
                "--conf", "spark.kryo.registrationRequired=true",
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=90s",
                jar.toString()));
        args.addAll(Arrays.asList(jobArgs));
        return start(name, classpath, home, "org.apache.spark.deploy.SparkSubmit", args.toArray(new String[0]));
    }

    private Process start(String name, String classpath, Path home, String mainClass, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(required("tessera.jvm.flags").trim().split("\\s+")));
        cmd.add(name.startsWith("submit") ? "-Xmx1g" : "-Xmx256m");
        cmd.add("-Dlog4j2.configurationFile=" + Path.of(required("tessera.it.conf"), "log4j2.properties"));
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toAbsolutePath().toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().remove("SPARK_CONF_DIR");
        pb.environment().put("CI", "1");
        Process p = pb.start();
        synchronized (this) {
            processes.add(p);
        }
        return p;
    }

    private String logs() {
        StringBuilder b = new StringBuilder();
        try (var files = Files.walk(work)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log") || f.getFileName().toString().equals("stderr"))
                    .sorted().toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                b.append("==== ").append(f).append(" (last 40 lines)\n");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> b.append(l).append('\n'));
            }
        } catch (IOException e) {
            b.append("(cannot read the logs: ").append(e.getMessage()).append(")");
        }
        return b.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private void waitForPort(int port, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(300);
            }
        }
        fail("nothing listens on port " + port + " after " + seconds + "s\n" + logs());
    }

    private void waitForWorkers(int uiPort, int count, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Pattern alive = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
        String last = "";
        while (System.nanoTime() < end) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + uiPort + "/json/").toURL()
                        .openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(2000);
                last = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                Matcher m = alive.matcher(last);
                if (m.find() && Integer.parseInt(m.group(1)) >= count) {
                    return;
                }
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(500);
        }
        fail(count + " workers did not register in " + seconds + "s; master says: " + last + "\n" + logs());
    }

    /** The numbers of a JSON field holding a number or an array of numbers. */
    private static double[] numbers(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\": (\\[[^\\]]*\\]|[-0-9.eE]+)").matcher(json);
        assertTrue(m.find(), "no field " + field + " in\n" + json);
        String v = m.group(1).replace("[", "").replace("]", "");
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToDouble(Double::parseDouble).toArray();
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var files = Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}

package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;
import org.tessera.spark.bench.PersistUnderBudget;
import org.tessera.spark.memory.ExecutorMemory;

/**
 * An executor whose off-heap budget is a quarter of a persisted tensor: cached blocks and the
 * tasks' own memory share the budget, cached blocks are spilled to make room, and the sums agree.
 *
 * <p>Each run is a {@link PersistUnderBudget} program in a JVM of its own (its own Spark context,
 * with off-heap settings that the shared test session does not have, and its own allocator limit).
 */
class SharedBudgetTest {
    private static final long BUDGET = 32L << 20;
    /** 32768 × 1024 float32 = 128 MiB, four times the budget, in 32 blocks of 4 MiB. */
    private static final String[] SHAPE = {"32768", "1024", "1024"};

    @Test
    void anExecutorWithAQuarterOfATensorAsBudgetSumsItTwiceWithoutFailing() throws Exception {
        Map<String, String> r = run("32m", "offheap", "true");
        assertEquals("0", r.get("exit"), "the run failed: " + r);
        assertSharedBudgetHeld(r);
    }

    @Test
    void blocksCachedOnTheHeapSideShareTheBudgetToo() throws Exception {
        // Spark's off-heap memory off: blocks are cached as heap-side entries, the budget is set directly
        Map<String, String> r = run("32m", "limit", "true");
        assertEquals("0", r.get("exit"), "the run failed: " + r);
        assertSharedBudgetHeld(r);
    }

    @Test
    void withoutEvictionTheSameRunFailsOnTheBudget() throws Exception {
        Map<String, String> r = run("32m", "offheap", "false");
        assertEquals("1", r.get("exit"), "expected the run to fail: " + r);
        String failure = r.get("failed");
        assertTrue(failure != null && failure.contains("TesseraMemoryException") && failure.contains("cannot allocate")
                && failure.contains("the allocator limit is " + BUDGET), String.valueOf(failure));
        assertEquals("0", r.get("droppedBytes"));
    }

    @Test
    void theBudgetIsSparksOffHeapSizeUnlessSetExplicitly() {
        SparkConf plain = new SparkConf(false);
        assertEquals(OptionalLong.empty(), ExecutorMemory.budget(plain, Long.MAX_VALUE), "no off-heap: engine's limit");
        SparkConf offHeap = new SparkConf(false).set("spark.memory.offHeap.enabled", "true")
                .set("spark.memory.offHeap.size", "2g");
        assertEquals(OptionalLong.of(2L << 30), ExecutorMemory.budget(offHeap, Long.MAX_VALUE));
        assertEquals(OptionalLong.of(1L << 30), ExecutorMemory.budget(offHeap, 1L << 30),
                "a lower -Dtessera.memory.limit is kept");
        SparkConf enabledWithoutSize = new SparkConf(false).set("spark.memory.offHeap.enabled", "true");
        assertEquals(OptionalLong.empty(), ExecutorMemory.budget(enabledWithoutSize, Long.MAX_VALUE));
        SparkConf explicit = offHeap.clone().set(TesseraConf.MEMORY_LIMIT.name(), "3g");
        assertEquals(OptionalLong.of(3L << 30), ExecutorMemory.budget(explicit, 1L << 30));
        SparkConf bad = new SparkConf(false).set(TesseraConf.MEMORY_LIMIT.name(), "lots");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ExecutorMemory.budget(bad, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains(TesseraConf.MEMORY_LIMIT.name()) && e.getMessage().contains("lots"),
                e.getMessage());
    }

    @Test
    void blocksKeptInMemoryGoOffHeapWhenSparkHasOffHeapMemory() {
        SparkConf plain = new SparkConf(false);
        assertEquals(StorageLevel.MEMORY_AND_DISK(), ExecutorMemory.blockLevel("MEMORY_AND_DISK", plain));
        SparkConf offHeap = new SparkConf(false).set("spark.memory.offHeap.enabled", "true")
                .set("spark.memory.offHeap.size", "1g");
        StorageLevel l = ExecutorMemory.blockLevel("MEMORY_AND_DISK", offHeap);
        assertTrue(l.useMemory() && l.useDisk() && l.useOffHeap() && l.deserialized(), l.toString());
        StorageLevel memoryOnly = ExecutorMemory.blockLevel("MEMORY_ONLY_2", offHeap);
        assertTrue(memoryOnly.useOffHeap() && !memoryOnly.useDisk() && memoryOnly.replication() == 2,
                memoryOnly.toString());
        assertEquals(StorageLevel.DISK_ONLY(), ExecutorMemory.blockLevel("DISK_ONLY", offHeap));
        assertEquals(StorageLevel.MEMORY_ONLY_SER(), ExecutorMemory.blockLevel("MEMORY_ONLY_SER", offHeap));
    }

    /** The figures every successful run must show (each message carries all of them). */
    private static void assertSharedBudgetHeld(Map<String, String> r) {
        String all = " " + r;
        assertEquals(Long.toString(BUDGET), r.get("budgetBytes"), "the budget derived for the executor" + all);
        assertEquals(4 * BUDGET, Long.parseLong(r.get("persistedBytes")), "the tensor is four budgets large" + all);
        assertEquals(r.get("sumWithoutPersist"), r.get("sum1"), "the first sum (persisting) equals the streamed one" + all);
        assertEquals(r.get("sum1"), r.get("sum2"), "the second sum (from memory and disk) is identical" + all);
        assertFalse(Double.isNaN(Double.parseDouble(r.get("sum1"))), all);
        assertEquals("0", r.get("failedTasks"), "no task failed" + all);
        long peak = Long.parseLong(r.get("peakOffHeapBytes"));
        assertTrue(peak > 0 && peak <= BUDGET, "peak off-heap bytes " + peak + " within the budget " + BUDGET + all);
        assertTrue(Long.parseLong(r.get("droppedBytes")) > 0, "cached blocks were dropped to make room:" + all);
        assertTrue(!r.get("blocksOnDisk").startsWith("0/"), "blocks were spilled to disk:" + all);
    }

    /** Runs {@link PersistUnderBudget} in a JVM of its own; its key=value lines, plus exit. */
    private static Map<String, String> run(String budget, String mode, String evict) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the module flags and properties of this JVM (the parent pom's list), not its heap size
            if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-D")) {
                cmd.add(a);
            }
        }
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PersistUnderBudget.class.getName());
        cmd.addAll(List.of(SHAPE));
        cmd.addAll(List.of(budget, mode, evict));
        Path dir = Files.createDirectories(Path.of("target", "shared-budget"));
        String name = mode + "-" + budget + "-evict-" + evict;
        Path log = dir.resolve(name + ".log");
        Path figures = dir.resolve(name + ".out");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).redirectOutput(figures.toFile()).start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the run did not end within 240 s; see " + log.toAbsolutePath());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(figures, StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        out.put("exit", Integer.toString(p.exitValue()));
        out.put("log", log.toAbsolutePath().toString());
        return out;
    }
}

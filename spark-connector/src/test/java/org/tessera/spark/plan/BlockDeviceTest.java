package org.tessera.spark.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.backend.cuda.Cuda;
import org.tessera.spark.SharedSpark;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.TesseraSession;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.BlockDevice;

/** Where blocks are computed: the CPU on the driver and in CPU-bound tasks, the task's GPU under cuda. */
class BlockDeviceTest {
    private final TesseraSession ts = SharedSpark.session();

    /** Runs {@code body} with spark.tessera.device set to {@code mode} in the executors' configuration (local mode: this JVM's). */
    private static <T> T withDeviceMode(String mode, Supplier<T> body) {
        SparkConf conf = SparkEnv.get().conf();
        String key = TesseraConf.DEVICE.name();
        String before = conf.contains(key) ? conf.get(key) : null;
        conf.set(key, mode);
        try {
            return body.get();
        } finally {
            if (before == null) {
                conf.remove(key);
            } else {
                conf.set(key, before);
            }
        }
    }

    @Test
    void theDriverComputesBlocksOnTheCpu() {
        assertEquals(Device.CPU, BlockDevice.current());
        Tensor x = SharedSpark.randn(4, 3);
        Block b = new Block(new int[] {0, 0}, x.mul(2).add(1));
        assertTrue(b.data().node().isRealized());
        assertEquals(Device.CPU, b.data().device());
        SharedSpark.assertClose(x.mul(2).add(1), b.data(), 0);
    }

    @Test
    void tasksUnderCpuAndAutoWithoutGpusComputeOnTheCpu() {
        JavaSparkContext jsc = ts.sparkContext();
        for (String mode : new String[] {"cpu", "auto"}) {
            List<String> seen = withDeviceMode(mode, () -> jsc.parallelize(List.of(0, 1, 2, 3, 4, 5), 6).map(i -> {
                TaskSupport.begin(false);
                Tensor x = Tessera.arange(0, 6).reshape(2, 3).to(org.tessera.DType.FLOAT64);
                Block b = new Block(new int[] {0, 0}, x.mul(i).add(1));
                return BlockDevice.current() + " " + b.data().device() + " "
                        + b.data().sum().item();
            }).collect());
            for (int i = 0; i < seen.size(); i++) {
                assertEquals("cpu cpu " + (15.0 * i + 6), seen.get(i), mode + ", task " + i);
            }
        }
        assertEquals(Device.CPU, BlockDevice.current(), "the driver thread is never bound");
    }

    @Test
    void aCompletedTaskLeavesItsThreadOnTheCpu() {
        JavaSparkContext jsc = ts.sparkContext();
        String marker = "marker:7";
        // first job: every task binds a device (as a GPU task would) and completes
        List<String> bound = jsc.parallelize(List.of(0, 1, 2, 3, 4, 5, 6, 7), 8).map(i -> {
            TaskSupport.begin(false);
            BlockDevice.bind(Device.of("marker", 7)); // a device object only: nothing is computed on it
            return "thread " + Thread.currentThread().getId() + "=" + BlockDevice.current();
        }).collect();
        Set<String> boundThreads = new HashSet<>();
        for (String s : bound) {
            assertTrue(s.endsWith("=" + marker), s);
            boundThreads.add(s.substring(0, s.lastIndexOf('=')));
        }
        // second job, on the executor's reused threads: no task binds anything
        List<String> later = jsc.parallelize(List.of(0, 1, 2, 3, 4, 5, 6, 7), 8)
                .map(i -> "thread " + Thread.currentThread().getId() + "=" + BlockDevice.current()).collect();
        List<String> reused = new ArrayList<>();
        for (String s : later) {
            String thread = s.substring(0, s.lastIndexOf('='));
            assertEquals(thread + "=cpu", s, "a thread kept the device of an earlier task");
            if (boundThreads.contains(thread)) {
                reused.add(thread);
            }
        }
        assertFalse(reused.isEmpty(), "the second job ran on none of the first job's threads: " + bound + " " + later);
    }

    /** Runs a distributed elementwise chain, a reduction and two matmuls; returns their values. */
    private List<double[]> distributedResults(Tensor a, Tensor b, Tensor c) {
        Tensor da = ts.distribute(a, 7, 5);
        Tensor db = ts.distribute(b, 7, 5);
        Tensor dc = ts.distribute(c, 5, 6);
        List<double[]> out = new ArrayList<>();
        out.add(da.exp().add(1).log().mul(db).sub(db.abs().sqrt()).toDoubleArray());
        out.add(da.mul(db).sum(0).toDoubleArray());
        out.add(new double[] {da.abs().sum().item()});
        out.add(da.matmul(dc).toDoubleArray());
        out.add(da.matmul(c).relu().toDoubleArray());
        return out;
    }

    @Tag("gpu")
    @Test
    void underCudaBlocksAreComputedOnTheGpuWithTheCpusValues() {
        Assumptions.assumeTrue(Tessera.isCudaAvailable(), () -> "CUDA is not usable here: " + Cuda.unavailableReason());
        Tensor a = SharedSpark.randn(30, 17);
        Tensor b = SharedSpark.randn(30, 17);
        Tensor c = SharedSpark.randn(17, 12);
        List<double[]> cpu = withDeviceMode("cpu", () -> distributedResults(a, b, c));
        Device gpu = Device.cuda(0);
        long requests = Cuda.memoryStats(gpu).rawAllocations() + Cuda.memoryStats(gpu).reuses();
        List<double[]> cuda = withDeviceMode("cuda", () -> distributedResults(a, b, c));
        assertTrue(Cuda.memoryStats(gpu).rawAllocations() + Cuda.memoryStats(gpu).reuses() > requests,
                "no block was computed on " + gpu);
        String[] what = {"elementwise chain", "sum(0)", "sum()", "distributed matmul", "matmul with a local operand"};
        for (int k = 0; k < cpu.size(); k++) {
            double[] e = cpu.get(k);
            double[] g = cuda.get(k);
            assertEquals(e.length, g.length, what[k]);
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], g[i], 1e-9 * Math.max(1, Math.abs(e[i])), what[k] + ", element " + i);
            }
        }
        // and against the local engine
        SharedSpark.assertClose(a.exp().add(1).log().mul(b).sub(b.abs().sqrt()),
                Tessera.fromArray(cuda.get(0), 30, 17), 1e-12);
        SharedSpark.assertClose(a.matmul(c), Tessera.fromArray(cuda.get(3), 30, 12), 1e-12);
    }
}

package org.tessera.concurrency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ValuesIndices;

/**
 * Graphs shared between threads, as Spark's task threads share a model: values computed by one
 * pass for two nodes ({@code max(dim)}'s values and indices) read by two threads at once, and
 * backward passes run at once into one leaf. Races are timing-dependent: each case runs many
 * rounds, started together by a barrier.
 */
class SharedGraphThreadsTest {
    @Test
    void valuesAndIndicesOfOneMaxReadByTwoThreadsAtOnce() throws Exception {
        int rows = 256;
        int cols = 128;
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i * 31) % 1000;
        }
        float[] values = new float[rows];
        long[] indices = new long[rows];
        for (int i = 0; i < rows; i++) {
            values[i] = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                if (a[i * cols + j] > values[i]) {
                    values[i] = a[i * cols + j];
                    indices[i] = j;
                }
            }
        }
        Tensor base = Tessera.fromArray(a, rows, cols).realize();
        ExecutorService ex = Executors.newFixedThreadPool(2);
        try {
            for (int r = 0; r < 1500; r++) {
                ValuesIndices m = base.max(1);
                CyclicBarrier go = new CyclicBarrier(2);
                Future<float[]> v = ex.submit(() -> {
                    go.await();
                    return m.values().toFloatArray();
                });
                Future<long[]> ix = ex.submit(() -> {
                    go.await();
                    return m.indices().toLongArray();
                });
                assertArrayEquals(values, v.get(), "round " + r);
                assertArrayEquals(indices, ix.get(), "round " + r);
            }
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void backwardPassesRunAtOnceIntoOneLeafAllAddUp() throws Exception {
        int threads = 4;
        int n = 64;
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try {
            for (int r = 0; r < 300; r++) {
                Tensor w = Tessera.zeros(16, 1).requiresGrad(true);
                CyclicBarrier go = new CyclicBarrier(threads);
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    done.add(ex.submit(() -> {
                        go.await();
                        Tessera.ones(n, 16).matmul(w).sum().backward(); // d/dw = n in every row
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                float[] g = w.grad().toFloatArray();
                for (float x : g) {
                    assertEquals((float) n * threads, x, "round " + r + ": a backward pass's gradient was lost");
                }
            }
        } finally {
            ex.shutdownNow();
        }
    }
}

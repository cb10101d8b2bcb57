package org.tessera.memory;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Reads and writes a tensor's {@code asByteBuffer()} view after the tensor's memory was given
 * up, in a child JVM ({@link ExportLifetimeTest}): before exports kept their memory, each case
 * read freed memory (a crash) or another tensor's values. Prints one line per case.
 */
public final class ExportProbe {
    private ExportProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        String c = args[0];
        switch (c) {
            case "scope-closed" -> scopeClosed(Integer.parseInt(args[1]));
            case "collected" -> collected(Integer.parseInt(args[1]));
            case "pooled-write" -> pooledWrite();
            case "slice-outlives-view" -> sliceOutlivesView();
            default -> throw new IllegalArgumentException(c);
        }
    }

    private static double sum(FloatBuffer f) {
        double s = 0;
        for (int i = 0; i < f.limit(); i++) {
            s += f.get(i);
        }
        return s;
    }

    private static void churn() throws InterruptedException {
        // new allocations of the same sizes, and collections, so freed memory would be reused or unmapped
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
            try (Scope s = Tessera.scope()) {
                Tessera.full(7f, 1 << 16).realize();
                Tessera.full(7f, 1 << 20).realize();
            }
        }
    }

    /** A view read after the scope that freed its tensor has closed. */
    private static void scopeClosed(int n) throws InterruptedException {
        ByteBuffer b;
        try (Scope s = Tessera.scope()) {
            b = Tessera.arange(0, n, 1, DType.FLOAT32).realize().asByteBuffer();
        }
        churn();
        double expected = (double) n * (n - 1) / 2;
        System.out.println("sum " + sum(b.asFloatBuffer()) + " expected " + expected);
    }

    /** A view read after its unscoped tensor was collected. */
    private static void collected(int n) throws InterruptedException {
        ByteBuffer b = Tessera.arange(0, n, 1, DType.FLOAT32).realize().asByteBuffer();
        churn();
        double expected = (double) n * (n - 1) / 2;
        System.out.println("sum " + sum(b.asFloatBuffer()) + " expected " + expected);
    }

    /** Writes through a stale view must not reach a tensor allocated after its own was freed. */
    private static void pooledWrite() {
        int n = 1 << 20; // 4 MiB: a size the reuse pool keeps
        ByteBuffer b;
        try (Scope s = Tessera.scope()) {
            b = Tessera.full(1f, n).realize().asByteBuffer();
        }
        try (Scope s = Tessera.scope()) {
            Tensor fresh = Tessera.full(3f, n).mul(1).realize();
            FloatBuffer f = b.asFloatBuffer();
            double seen = sum(f);
            for (int i = 0; i < n; i++) {
                f.put(i, -1f);
            }
            System.out.println("view " + seen + " expected " + (double) n + " fresh " + fresh.sum().item()
                    + " expected " + 3.0 * n);
        }
    }

    /** A slice of a view keeps the memory after the view itself is unreachable. */
    private static void sliceOutlivesView() throws InterruptedException {
        int n = 1 << 16;
        FloatBuffer tail;
        try (Scope s = Tessera.scope()) {
            ByteBuffer b = Tessera.arange(0, n, 1, DType.FLOAT32).realize().asByteBuffer();
            tail = b.position(4 * (n - 4)).slice().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
        churn();
        double expected = 4.0 * n - 10;
        System.out.println("sum " + sum(tail) + " expected " + expected);
    }
}

package org.tessera.memory;

/**
 * Run by {@link MemoryPressureTest} in a JVM of its own (the root's peak only grows): three
 * threads allocate and free 1 MiB buffers in scopes of their own, which the pool takes back and
 * hands out again, under a limit of three such buffers; prints the limit, the root's peak and how
 * many allocations failed.
 */
public final class PeakProbe {
    private PeakProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        long mb = 1 << 20;
        Memory.setLimit(Memory.allocatedBytes() + 3 * mb);
        int rounds = Integer.parseInt(args[0]);
        int[] failed = new int[1];
        Runnable work = () -> {
            for (int i = 0; i < rounds; i++) {
                try (MemoryScope s = MemoryScope.open("probe")) {
                    Storage.allocate(mb, "probe buffer");
                } catch (RuntimeException e) {
                    synchronized (failed) {
                        failed[0]++;
                    }
                }
            }
        };
        Thread[] threads = new Thread[3];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(work);
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        System.out.println("limit=" + Memory.limit());
        System.out.println("peak=" + Memory.root().getPeakMemoryAllocation());
        System.out.println("failed=" + failed[0]);
    }
}

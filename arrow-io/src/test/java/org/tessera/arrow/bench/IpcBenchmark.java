package org.tessera.arrow.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.arrow.IpcFormat;
import org.tessera.arrow.LoadMode;
import org.tessera.arrow.TensorFiles;

/**
 * Saves and loads a large float32 tensor with {@link TensorFiles} and compares the throughput
 * with a plain copy of a file of the same size ({@link Files#copy}), measured in the same run.
 * Loads are timed twice: as {@code load} does by default (mapped, the checksum verified on the
 * mapped bytes) and with {@link LoadMode#COPY} (read into new memory).
 *
 * <pre>
 *   IpcBenchmark [MiB=1024] [repetitions=5] [directory=java.io.tmpdir] [format=FILE|STREAM]
 * </pre>
 *
 * Prints the median of the repetitions in GB/s (10^9 bytes per second of tensor data), the
 * plain copy, and their ratio. All files live in the page cache of the machine (no fsync), so
 * this measures the software path, not the disk.
 */
public final class IpcBenchmark {
    private IpcBenchmark() {
    }

    /** Runs the benchmark; see the class comment for the arguments. */
    public static void main(String[] args) throws IOException {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Path.of(args.length > 2 ? args[2] : System.getProperty("java.io.tmpdir"));
        IpcFormat format = args.length > 3 ? IpcFormat.valueOf(args[3]) : IpcFormat.FILE;
        long bytes = mib << 20;
        long n = bytes / 4;
        Path tensorFile = dir.resolve("tessera-bench-tensor.arrow");
        Path plainSource = dir.resolve("tessera-bench-plain.bin");
        Path plainTarget = dir.resolve("tessera-bench-plain-copy.bin");
        double[] save = new double[reps];
        double[] load = new double[reps];
        double[] loadCopy = new double[reps];
        double[] copy = new double[reps];
        try (Scope outer = Tessera.scope()) {
            Tensor t = Tessera.rand(Tessera.defaultGenerator(), DType.FLOAT32, n).realize();
            writePlain(plainSource, bytes);
            for (int r = -1; r < reps; r++) { // r = -1: a warm-up round (JIT, first use of the memory), not counted
                Files.deleteIfExists(tensorFile);
                long t0 = System.nanoTime();
                TensorFiles.save(t, tensorFile, format);
                double saveSeconds = (System.nanoTime() - t0) / 1e9;

                double loadSeconds = timeLoad(tensorFile, LoadMode.AUTO, t, n);
                double loadCopySeconds = timeLoad(tensorFile, LoadMode.COPY, t, n);

                Files.deleteIfExists(plainTarget);
                long t2 = System.nanoTime();
                Files.copy(plainSource, plainTarget, StandardCopyOption.REPLACE_EXISTING);
                double copySeconds = (System.nanoTime() - t2) / 1e9;
                System.out.printf(Locale.ROOT, "%s: save %.3f s, load %.3f s, load (copy) %.3f s, plain copy %.3f s%n",
                        r < 0 ? "warm-up" : "rep " + (r + 1), saveSeconds, loadSeconds, loadCopySeconds, copySeconds);
                if (r >= 0) {
                    save[r] = saveSeconds;
                    load[r] = loadSeconds;
                    loadCopy[r] = loadCopySeconds;
                    copy[r] = copySeconds;
                }
            }
        } finally {
            Files.deleteIfExists(tensorFile);
            Files.deleteIfExists(plainSource);
            Files.deleteIfExists(plainTarget);
        }
        double gb = bytes / 1e9;
        double c = gb / median(copy);
        System.out.printf(Locale.ROOT, "%nfloat32 tensor of %d MiB (%s format), median of %d runs, files in %s%n", mib,
                format, reps, dir);
        System.out.printf(Locale.ROOT, "%-11s %10s %16s %8s%n", "op", "GB/s", "plain copy GB/s", "ratio");
        System.out.printf(Locale.ROOT, "%-11s %10.2f %16.2f %8.2f%n", "save", gb / median(save), c,
                gb / median(save) / c);
        System.out.printf(Locale.ROOT, "%-11s %10.2f %16.2f %8.2f%n", "load", gb / median(load), c,
                gb / median(load) / c);
        System.out.printf(Locale.ROOT, "%-11s %10.2f %16.2f %8.2f%n", "load (copy)", gb / median(loadCopy), c,
                gb / median(loadCopy) / c);
    }

    /** Seconds to load {@code file} in {@code mode}, checked against {@code t}; the tensor is freed after. */
    private static double timeLoad(Path file, LoadMode mode, Tensor t, long n) {
        try (Scope inner = Tessera.scope()) {
            long t0 = System.nanoTime();
            Tensor back = TensorFiles.load(file, mode);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (back.numel() != n || back.get(n - 1).item() != t.get(n - 1).item()) {
                throw new IllegalStateException("the loaded tensor differs from the saved one");
            }
            if (TensorFiles.isMapped(back) != (mode == LoadMode.AUTO)) {
                throw new IllegalStateException("load " + mode + ": expected " + (mode == LoadMode.AUTO ? "a mapped"
                        : "a copied") + " tensor");
            }
            return seconds;
        }
    }

    private static void writePlain(Path p, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(8 << 20);
        java.util.concurrent.ThreadLocalRandom.current().ints(chunk.capacity() / 4).forEach(chunk::putInt);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (long done = 0; done < bytes; done += chunk.capacity()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), bytes - done));
                while (chunk.hasRemaining()) {
                    ch.write(chunk);
                }
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}

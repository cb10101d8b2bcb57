package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;

/**
 * Feeds hundreds of damaged files to the loader: each must either load exactly the original
 * tensor or fail with {@link TesseraIOException} naming the file, never another exception, a JVM
 * error or a different tensor.
 */
@ExtendWith(LeakCheck.class)
class CorruptedFilesTest {
    private static final int PER_ORIGINAL = 90;
    private static final long[] FORGED = {-1, 0x7fffffffL, 0x80000000L, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE,
        0xffffffffL, 1L << 31, 1L << 62};

    @TempDir
    Path dir;

    private record Original(Tensor tensor, byte[] bytes, String label) {
    }

    @Test
    void damagedFilesLoadExactlyOrFailWithTheProjectException() throws IOException {
        List<Original> originals = new ArrayList<>();
        int k = 0;
        for (IpcFormat format : IpcFormat.values()) {
            for (Tensor t : List.of(Samples.of(DType.FLOAT32, 6, 7), Samples.of(DType.INT64, 2, 3, 4),
                    Samples.of(DType.BOOL, 50))) {
                Path p = dir.resolve("orig" + k++ + ".arrow");
                TensorFiles.save(t, p, format, 40);
                originals.add(new Original(t, Files.readAllBytes(p), t.dtype() + " " + t.shape() + " " + format));
            }
        }
        Random rnd = new Random(Long.getLong("corruption.seed", 20240611L));
        int loaded = 0;
        int failed = 0;
        int n = 0;
        for (Original o : originals) {
            List<Integer> markers = continuationMarkers(o.bytes());
            for (int i = 0; i < PER_ORIGINAL; i++) {
                byte[] b = o.bytes().clone();
                String how;
                if (i % 5 == 1) {
                    int len = rnd.nextInt(b.length);
                    b = java.util.Arrays.copyOf(b, len);
                    how = "truncated to " + len + " of " + o.bytes().length + " bytes";
                } else {
                    how = damage(b, rnd, markers, i % 5);
                }
                Path p = dir.resolve("bad" + n++ + ".arrow");
                Files.write(p, b);
                try {
                    Tensor t = TensorFiles.load(p);
                    assertEquals(o.tensor().dtype(), t.dtype(), how);
                    assertEquals(o.tensor().shape(), t.shape(), how);
                    assertArrayEquals(o.tensor().toDoubleArray(), t.toDoubleArray(), o.label() + ": " + how);
                    loaded++;
                } catch (TesseraIOException e) {
                    assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
                    failed++;
                } catch (Throwable e) {
                    fail(o.label() + ", " + how + ": expected the original tensor or a TesseraIOException, got " + e, e);
                }
                Files.delete(p);
            }
        }
        System.out.println("corrupted files: " + failed + " rejected, " + loaded + " loaded exactly");
        assertEquals(originals.size() * PER_ORIGINAL, loaded + failed);
        assertTrue(failed > loaded, "most damage must be detected: " + failed + " failed, " + loaded + " loaded");
    }

    /** Offsets of the FFFFFFFF markers that precede message lengths. */
    private static List<Integer> continuationMarkers(byte[] b) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i + 8 <= b.length; i += 8) {
            if (b[i] == -1 && b[i + 1] == -1 && b[i + 2] == -1 && b[i + 3] == -1) {
                out.add(i);
            }
        }
        return out;
    }

    /** Applies one kind of damage and says what it did. */
    private static String damage(byte[] b, Random rnd, List<Integer> markers, int kind) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        switch (kind) {
            case 0, 1 -> { // bit flips at random offsets
                int flips = 1 + rnd.nextInt(3);
                StringBuilder s = new StringBuilder("bit flips at");
                for (int f = 0; f < flips; f++) {
                    int at = rnd.nextInt(b.length);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                    s.append(' ').append(at);
                }
                return s.toString();
            }
            case 2 -> { // forged message metadata length after a continuation marker
                int m = markers.get(rnd.nextInt(markers.size()));
                if (m + 8 > b.length) {
                    return "no marker to forge";
                }
                int v = (int) FORGED[rnd.nextInt(FORGED.length)];
                bb.putInt(m + 4, v);
                return "message length at " + (m + 4) + " forged to " + v;
            }
            case 3 -> { // forged footer length, or a forged 8-byte word near the end (footer blocks)
                if (rnd.nextBoolean() && b.length >= 10) {
                    int v = (int) FORGED[rnd.nextInt(FORGED.length)];
                    bb.putInt(b.length - 10, v);
                    return "footer length forged to " + v;
                }
                int region = Math.min(b.length, 256);
                int at = (b.length - region + rnd.nextInt(region)) & ~7;
                if (at + 8 > b.length) {
                    at -= 8;
                }
                long v = FORGED[rnd.nextInt(FORGED.length)];
                bb.putLong(at, v);
                return "word at " + at + " (footer region) forged to " + v;
            }
            default -> { // forged word inside a message header (lengths, offsets, counts)
                int m = markers.get(rnd.nextInt(markers.size()));
                int at = Math.min(b.length - 8, m + 8 + 4 * rnd.nextInt(24));
                long v = FORGED[rnd.nextInt(FORGED.length)];
                if (rnd.nextBoolean()) {
                    bb.putInt(at, (int) v);
                } else {
                    bb.putLong(at, v);
                }
                return "header word at " + at + " forged to " + v;
            }
        }
    }
}

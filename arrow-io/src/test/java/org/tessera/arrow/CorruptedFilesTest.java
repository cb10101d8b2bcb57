package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Feeds damaged tensor files to the loader: each must either load exactly the original tensor
 * (same dtype, shape and bits) or fail with a {@link TesseraIOException} naming the file, never
 * another exception, a JVM error or a different tensor.
 *
 * <p>The fuzz run applies every kind of damage in {@link Damage} to files of several dtypes,
 * ranks and batch counts in both formats. It runs {@code fuzz.cases} cases (default 3000) from
 * seed {@code fuzz.seed}; a long run:
 *
 * <pre>
 *   mvn -B -ntp -pl arrow-io -am test -Dtest=CorruptedFilesTest -Dsurefire.failIfNoSpecifiedTests=false \
 *       -Dfuzz.cases=100000 [-Dfuzz.seed=7]
 * </pre>
 */
@ExtendWith(LeakCheck.class)
class CorruptedFilesTest {
    private static final long[] FORGED = {-1, 0, 1, 7, 0x7fffffffL, 0x80000000L, 1L << 40, Long.MAX_VALUE,
        Long.MIN_VALUE, 0xffffffffL, 1L << 31, 1L << 62};

    @TempDir
    Path dir;

    /** The kinds of damage, each applied with random parameters. */
    enum Damage {
        BIT_FLIPS, OVERWRITTEN_RUN, TRUNCATION, APPENDED_GARBAGE, ZEROED_RANGE, SWAPPED_PAGES, HEADER_EDIT
    }

    private record Original(Tensor tensor, byte[] bytes, String label) {
    }

    @Test
    void damagedFilesLoadExactlyOrFailWithTheProjectException() throws IOException {
        int cases = Integer.getInteger("fuzz.cases", 3000);
        long seed = Long.getLong("fuzz.seed", 20240611L);
        List<Original> originals = originals();
        Random rnd = new Random(seed);
        int[] rejected = new int[Damage.values().length];
        int[] loaded = new int[Damage.values().length];
        Path p = dir.resolve("bad.arrow");
        for (int n = 0; n < cases; n++) {
            Original o = originals.get(n % originals.size());
            Damage kind = Damage.values()[(n / originals.size()) % Damage.values().length];
            byte[] b = o.bytes().clone();
            StringBuilder how = new StringBuilder();
            b = damage(b, kind, rnd, how);
            if (Arrays.equals(b, o.bytes())) {
                continue;
            }
            Files.write(p, b);
            if (loadsExactlyOrFails(p, o, "case " + n + " (seed " + seed + "), " + o.label() + ", " + how)) {
                loaded[kind.ordinal()]++;
            } else {
                rejected[kind.ordinal()]++;
            }
        }
        StringBuilder summary = new StringBuilder("damaged files (" + cases + " cases, seed " + seed + "):");
        for (Damage d : Damage.values()) {
            summary.append(' ').append(d).append(' ').append(rejected[d.ordinal()]).append(" rejected/")
                    .append(loaded[d.ordinal()]).append(" loaded exactly;");
        }
        System.out.println(summary);
        for (Damage d : Damage.values()) {
            assertTrue(rejected[d.ordinal()] > 0 || cases < 7 * originals.size(), d + " never detected: " + summary);
        }
    }

    /**
     * A version 1 stream of a bool tensor of shape [1001] whose bytes 416 to 677 (the field's
     * name and metadata and the record batch's header) are zeroed: it loaded as an empty tensor
     * with no error, the zeroed batch prefix reading as an end-of-stream marker and the rest of
     * the file ignored.
     */
    @Test
    void zeroedSchemaTailAndBatchHeaderOfAVersionOneStreamIsRejected() throws IOException {
        byte[] b = fixture("/v1/bool-1001.arrows");
        Arrays.fill(b, 416, 678, (byte) 0);
        Path p = dir.resolve("zeroed.arrows");
        Files.write(p, b);
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p));
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("follow the end-of-stream marker"), e.getMessage());
    }

    /**
     * The same damage on version 2 files, all along them: each zeroed range of 262 bytes (at every
     * even offset) and of 8 and 64 bytes (every fourth) of a bool [1001] stream and file either is
     * rejected or leaves the tensor as it was.
     */
    @Test
    void everyZeroedRangeOfABoolStreamIsRejectedOrHarmless() throws IOException {
        Tensor t = Samples.of(DType.BOOL, 1001);
        for (IpcFormat format : IpcFormat.values()) {
            Path src = dir.resolve("bool." + format);
            TensorFiles.save(t, src, format);
            byte[] bytes = Files.readAllBytes(src);
            Original o = new Original(t, bytes, "bool [1001] " + format);
            Path p = dir.resolve("zeroed");
            int rejected = 0;
            for (int len : new int[] {8, 64, 262}) {
                for (int at = 0; at + len <= bytes.length; at += len == 262 ? 2 : 4) {
                    byte[] b = bytes.clone();
                    Arrays.fill(b, at, at + len, (byte) 0);
                    if (Arrays.equals(b, bytes)) {
                        continue;
                    }
                    Files.write(p, b);
                    rejected += loadsExactlyOrFails(p, o, o.label() + ", bytes " + at + ".." + (at + len - 1) + " zeroed")
                            ? 0 : 1;
                }
            }
            assertTrue(rejected > bytes.length / 2, format + ": only " + rejected + " zeroed ranges rejected");
        }
    }

    /**
     * The checksums cover every byte of the schema message, not only the values the loader
     * interprets: renaming the tensor column's child field (which would load the same tensor) is
     * still reported as damage.
     */
    @Test
    void changesToBytesTheLoaderDoesNotInterpretAreStillDetected() throws IOException {
        Path p = dir.resolve("t.arrows");
        TensorFiles.save(Samples.of(DType.FLOAT32, 3, 4), p, IpcFormat.STREAM);
        byte[] b = Files.readAllBytes(p);
        String text = new String(b, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("item");
        assertTrue(at > 0 && at < text.indexOf("tessera.crc32c"), "the child field's name is in the schema message");
        b[at + 3] = 'x';
        Files.write(p, b);
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(p));
        assertTrue(e.getMessage().contains("record batch 0: header checksum"), e.getMessage());
    }

    /** The tensors of the fuzz run, saved in both formats with small batches (several per file). */
    private List<Original> originals() throws IOException {
        List<Original> out = new ArrayList<>();
        Object[][] specs = {
            {DType.FLOAT32, new long[] {6, 7}, 64L},
            {DType.INT64, new long[] {2, 3, 4}, 100L},
            {DType.BOOL, new long[] {1001}, 64L << 20},
            {DType.BOOL, new long[] {3, 5, 2}, 2L},
            {DType.FLOAT64, new long[] {}, 64L},
            {DType.INT32, new long[] {13}, 16L},
            {DType.INT32, new long[] {0, 3}, 64L},
            {DType.FLOAT32, new long[] {2, 0, 3}, 64L},
            // one batch each (the default size): these load mapped, the data checksum verified on the mapped bytes
            {DType.FLOAT32, new long[] {6, 7}, TensorFiles.DEFAULT_BATCH_BYTES},
            {DType.INT64, new long[] {2, 3, 4}, TensorFiles.DEFAULT_BATCH_BYTES},
            {DType.FLOAT64, new long[] {}, TensorFiles.DEFAULT_BATCH_BYTES},
            {DType.INT32, new long[] {300}, TensorFiles.DEFAULT_BATCH_BYTES},
        };
        int k = 0;
        for (IpcFormat format : IpcFormat.values()) {
            for (Object[] s : specs) {
                Tensor t = Samples.of((DType) s[0], (long[]) s[1]);
                Path p = dir.resolve("orig" + k++ + ".arrow");
                TensorFiles.save(t, p, format, (Long) s[2]);
                if ((Long) s[2] == TensorFiles.DEFAULT_BATCH_BYTES) {
                    try (Scope scope = Tessera.scope()) {
                        assertTrue(TensorFiles.isMapped(TensorFiles.load(p, LoadMode.MAP)), "mapped: " + t.shape());
                    }
                }
                out.add(new Original(t, Files.readAllBytes(p), t.dtype() + " " + t.shape() + " " + format));
            }
        }
        return out;
    }

    /**
     * Loads {@code p} mapped and copied: true when both load exactly the original, false when both fail as
     * they should; else the test fails.
     */
    private static boolean loadsExactlyOrFails(Path p, Original o, String how) {
        boolean mapped = loadsExactlyOrFails(p, o, LoadMode.MAP, how + ", mapped");
        boolean copied = loadsExactlyOrFails(p, o, LoadMode.COPY, how + ", copied");
        assertEquals(copied, mapped, how + ": the mapped and the copying load disagree");
        return mapped;
    }

    private static boolean loadsExactlyOrFails(Path p, Original o, LoadMode mode, String how) {
        try (Scope scope = Tessera.scope()) {
            Tensor t = TensorFiles.load(p, mode);
            assertEquals(o.tensor().dtype(), t.dtype(), how);
            assertEquals(o.tensor().shape(), t.shape(), how);
            assertArrayEquals(bits(o.tensor()), bits(t), how);
            return true;
        } catch (TesseraIOException e) {
            assertTrue(e.getMessage().startsWith(p + ": "), how + ": " + e.getMessage());
            return false;
        } catch (Throwable e) {
            fail(how + ": expected the original tensor or a TesseraIOException, got " + e, e);
            return false;
        }
    }

    /** The elements' bit patterns, so that the comparison is exact for every dtype. */
    private static long[] bits(Tensor t) {
        return switch (t.dtype()) {
            case FLOAT32 -> {
                float[] f = t.toFloatArray();
                long[] out = new long[f.length];
                for (int i = 0; i < f.length; i++) {
                    out[i] = Float.floatToRawIntBits(f[i]);
                }
                yield out;
            }
            case FLOAT64 -> Arrays.stream(t.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
            case INT32, INT64 -> t.toLongArray();
            case BOOL -> {
                boolean[] v = t.toBooleanArray();
                long[] out = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                    out[i] = v[i] ? 1 : 0;
                }
                yield out;
            }
        };
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = CorruptedFilesTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    /** Applies one damage of {@code kind} to {@code b} (returning the damaged bytes) and says what it did in {@code how}. */
    static byte[] damage(byte[] b, Damage kind, Random rnd, StringBuilder how) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        switch (kind) {
            case BIT_FLIPS -> {
                int flips = 1 + rnd.nextInt(3);
                how.append("bit flips at");
                for (int f = 0; f < flips; f++) {
                    int at = rnd.nextInt(b.length);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                    how.append(' ').append(at);
                }
                return b;
            }
            case OVERWRITTEN_RUN -> {
                int len = 1 + rnd.nextInt(Math.min(b.length, rnd.nextBoolean() ? 16 : 512));
                int at = rnd.nextInt(b.length - len + 1);
                byte fill = (byte) rnd.nextInt(256);
                boolean constant = rnd.nextBoolean();
                for (int i = at; i < at + len; i++) {
                    b[i] = constant ? fill : (byte) rnd.nextInt(256);
                }
                how.append(len).append(constant ? " bytes set to " + fill : " random bytes").append(" at ").append(at);
                return b;
            }
            case TRUNCATION -> {
                int len = rnd.nextBoolean() ? rnd.nextInt(b.length) : Math.max(0, b.length - 1 - rnd.nextInt(64));
                how.append("truncated to ").append(len).append(" of ").append(b.length).append(" bytes");
                return Arrays.copyOf(b, len);
            }
            case APPENDED_GARBAGE -> {
                int extra = 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 4096);
                byte[] out = Arrays.copyOf(b, b.length + extra);
                String what;
                switch (rnd.nextInt(4)) {
                    case 0 -> what = "zero bytes";
                    case 1 -> { // a copy of a piece of the file itself (for example a whole message)
                        int from = rnd.nextInt(b.length);
                        int n = Math.min(extra, b.length - from);
                        System.arraycopy(b, from, out, b.length, n);
                        what = "bytes copied from offset " + from;
                    }
                    case 2 -> { // an end-of-stream marker (then zeros), or part of one
                        Arrays.fill(out, b.length, b.length + Math.min(4, extra), (byte) -1);
                        what = "an end-of-stream marker";
                    }
                    default -> {
                        for (int i = b.length; i < out.length; i++) {
                            out[i] = (byte) rnd.nextInt(256);
                        }
                        what = "random bytes";
                    }
                }
                how.append(extra).append(' ').append(what).append(" appended");
                return out;
            }
            case ZEROED_RANGE -> {
                int len = 1 + rnd.nextInt(Math.min(b.length, rnd.nextBoolean() ? 32 : 1024));
                int at = rnd.nextInt(b.length - len + 1);
                Arrays.fill(b, at, at + len, (byte) 0);
                how.append("bytes ").append(at).append("..").append(at + len - 1).append(" zeroed");
                return b;
            }
            case SWAPPED_PAGES -> {
                int page = new int[] {8, 64, 256, 512}[rnd.nextInt(4)];
                int pages = b.length / page;
                if (pages < 2) {
                    page = Math.max(1, b.length / 2);
                    pages = 2;
                }
                int x = rnd.nextInt(pages);
                int y = rnd.nextInt(pages - 1);
                y = y >= x ? y + 1 : y;
                byte[] tmp = Arrays.copyOfRange(b, x * page, x * page + page);
                System.arraycopy(b, y * page, b, x * page, page);
                System.arraycopy(tmp, 0, b, y * page, page);
                how.append(page).append("-byte pages ").append(x).append(" and ").append(y).append(" swapped");
                return b;
            }
            default -> {
                headerEdit(b, bb, rnd, how);
                return b;
            }
        }
    }

    /**
     * Edits a value in the file's headers: a message length after a continuation marker, a word in
     * a message's metadata (lengths, offsets, counts), a digit of a metadata string (shape, batch
     * sizes, extension metadata, checksums), or the footer's length or blocks.
     */
    private static void headerEdit(byte[] b, ByteBuffer bb, Random rnd, StringBuilder how) {
        List<Integer> markers = new ArrayList<>();
        for (int i = 0; i + 8 <= b.length; i += 8) {
            if (b[i] == -1 && b[i + 1] == -1 && b[i + 2] == -1 && b[i + 3] == -1) {
                markers.add(i);
            }
        }
        int m = markers.isEmpty() ? 0 : markers.get(rnd.nextInt(markers.size()));
        switch (rnd.nextInt(4)) {
            case 0 -> {
                int v = (int) FORGED[rnd.nextInt(FORGED.length)];
                int at = Math.min(b.length - 4, m + 4);
                bb.putInt(at, v);
                how.append("message length at ").append(at).append(" set to ").append(v);
            }
            case 1 -> {
                int metaLength = m + 8 <= b.length ? Math.max(8, bb.getInt(m + 4)) : 8;
                int at = Math.min(b.length - 8, m + 8 + 4 * rnd.nextInt(Math.max(1, Math.min(metaLength, 4096) / 4)));
                long v = FORGED[rnd.nextInt(FORGED.length)];
                if (rnd.nextBoolean()) {
                    bb.putInt(at, (int) v);
                } else {
                    bb.putLong(at, v);
                }
                how.append("header word at ").append(at).append(" set to ").append(v);
            }
            case 2 -> {
                List<Integer> digits = new ArrayList<>();
                String text = new String(b, StandardCharsets.ISO_8859_1);
                for (int i = 0; i < b.length; i++) {
                    char c = text.charAt(i);
                    if (c >= '0' && c <= '9' && i > 0 && (text.charAt(i - 1) == '[' || text.charAt(i - 1) == ','
                            || text.charAt(i - 1) == '"' || text.charAt(i - 1) == 0 || Character.isDigit(text.charAt(i - 1))
                            || Character.isLetter(text.charAt(i - 1)))) {
                        digits.add(i);
                    }
                }
                if (digits.isEmpty()) {
                    how.append("no digit to edit");
                    return;
                }
                int at = digits.get(rnd.nextInt(digits.size()));
                char was = (char) b[at];
                char now = (char) ('0' + (was - '0' + 1 + rnd.nextInt(9)) % 10);
                b[at] = (byte) now;
                how.append("metadata digit at ").append(at).append(" changed from ").append(was).append(" to ").append(now);
            }
            default -> {
                if (rnd.nextBoolean() && b.length >= 10) {
                    int v = (int) FORGED[rnd.nextInt(FORGED.length)];
                    bb.putInt(b.length - 10, v);
                    how.append("footer length set to ").append(v);
                    return;
                }
                int region = Math.min(b.length, 256);
                int at = (b.length - region + rnd.nextInt(region)) & ~7;
                if (at + 8 > b.length) {
                    at = Math.max(0, at - 8);
                }
                long v = FORGED[rnd.nextInt(FORGED.length)];
                bb.putLong(at, v);
                how.append("word at ").append(at).append(" (footer region) set to ").append(v);
            }
        }
    }
}

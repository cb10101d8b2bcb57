package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.tessera.arrow.internal.Crc32c;

/** Joined CRC-32C values of consecutive ranges equal the CRC-32C of the whole, computed directly. */
class Crc32cTest {
    private static long crc(byte[] b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b, from, to - from);
        return c.getValue();
    }

    @Test
    void joiningTheChecksumsOfTwoRangesGivesTheChecksumOfBoth() {
        Random rnd = new Random(5);
        for (int len : new int[] {0, 1, 2, 7, 64, 1000, 65_537}) {
            byte[] b = new byte[len];
            rnd.nextBytes(b);
            long whole = crc(b, 0, len);
            for (int cut : new int[] {0, len / 3, len / 2, len}) {
                long joined = Crc32c.combine(crc(b, 0, cut), crc(b, cut, len), len - cut);
                assertEquals(whole, joined, "length " + len + " cut at " + cut);
            }
        }
    }

    @Test
    void joiningManyPiecesInOrderGivesTheChecksumOfTheWhole() {
        byte[] b = new byte[100_003];
        new Random(11).nextBytes(b);
        long joined = crc(b, 0, 0);
        for (int at = 0; at < b.length; at += 4096) {
            int end = Math.min(b.length, at + 4096);
            joined = at == 0 ? crc(b, 0, end) : Crc32c.combine(joined, crc(b, at, end), end - at);
        }
        assertEquals(crc(b, 0, b.length), joined);
    }

    @Test
    void aNegativeLengthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Crc32c.combine(0, 0, -1));
    }
}

package org.tessera.arrow.internal;

import org.tessera.memory.Memory;

/**
 * Converts between Tessera's bool layout (one byte, 0 or 1, per element) and Arrow's (one bit,
 * least significant first). The layouts differ, so booleans are always copied.
 */
public final class Bits {
    private static final int CHUNK = 1 << 16;

    private Bits() {
    }

    /** Packs {@code n} bytes at {@code src} into bits at {@code dst}; unused high bits of the last byte are 0. */
    public static void pack(long src, long dst, long n) {
        byte[] in = new byte[CHUNK];
        byte[] out = new byte[CHUNK / 8];
        for (long done = 0; done < n; done += CHUNK) {
            int len = (int) Math.min(CHUNK, n - done);
            Memory.getBytes(src + done, in, 0, len);
            int outLen = (len + 7) / 8;
            java.util.Arrays.fill(out, 0, outLen, (byte) 0);
            for (int i = 0; i < len; i++) {
                if (in[i] != 0) {
                    out[i >>> 3] |= (byte) (1 << (i & 7));
                }
            }
            Memory.putBytes(dst + done / 8, out, 0, outLen);
        }
    }

    /** Unpacks {@code n} bits at {@code src} into bytes (0 or 1) at {@code dst}. */
    public static void unpack(long src, long dst, long n) {
        byte[] in = new byte[CHUNK / 8];
        byte[] out = new byte[CHUNK];
        for (long done = 0; done < n; done += CHUNK) {
            int len = (int) Math.min(CHUNK, n - done);
            int inLen = (len + 7) / 8;
            Memory.getBytes(src + done / 8, in, 0, inLen);
            for (int i = 0; i < len; i++) {
                out[i] = (byte) ((in[i >>> 3] >>> (i & 7)) & 1);
            }
            Memory.putBytes(dst + done, out, 0, len);
        }
    }

    /** Whether bit {@code i} of the bitmap at {@code address} is set. */
    public static boolean get(long address, long i) {
        return ((Memory.getByte(address + (i >>> 3)) >>> (i & 7)) & 1) != 0;
    }
}

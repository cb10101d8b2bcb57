package org.tessera.jobs.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.tessera.jobs.cli.JobException;

/**
 * Reads IDX files of unsigned bytes (the format of MNIST and Fashion-MNIST), plain or gzip'ed.
 * The header is two zero bytes, a type byte ({@code 0x08}: unsigned byte), the number of
 * dimensions, and one big-endian 32-bit size per dimension; the data follows in row-major order.
 * Every mismatch (another type, a size that disagrees with the file's length, trailing bytes) is
 * an error naming the file.
 */
public final class Idx {
    /** The sizes of each dimension. */
    private final int[] shape;
    /** The values, row-major, as unsigned bytes. */
    private final byte[] data;

    private Idx(int[] shape, byte[] data) {
        this.shape = shape;
        this.data = data;
    }

    /** The sizes of each dimension. */
    public int[] shape() {
        return shape.clone();
    }

    /** Value {@code i} (row-major), 0–255. */
    public int get(long i) {
        return data[Math.toIntExact(i)] & 0xFF;
    }

    /** The number of items: the size of the first dimension. */
    public int items() {
        return shape[0];
    }

    /** The number of values per item: the product of the other dimensions. */
    public int itemSize() {
        int s = 1;
        for (int d = 1; d < shape.length; d++) {
            s *= shape[d];
        }
        return s;
    }

    /** Reads {@code path}; a name ending in {@code .gz} is decompressed. */
    public static Idx read(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new JobException("IDX file " + path + " does not exist");
        }
        try (InputStream raw = Files.newInputStream(path);
             InputStream in = path.getFileName().toString().endsWith(".gz")
                     ? new GZIPInputStream(new BufferedInputStream(raw, 1 << 16), 1 << 16)
                     : new BufferedInputStream(raw, 1 << 16);
             DataInputStream din = new DataInputStream(in)) {
            int magic = din.readInt();
            if ((magic >>> 16) != 0) {
                throw new JobException(path + ": not an IDX file (first bytes 0x"
                        + Integer.toHexString(magic) + ", expected 0x0000 then a type and a rank)");
            }
            int type = (magic >>> 8) & 0xFF;
            int rank = magic & 0xFF;
            if (type != 0x08) {
                throw new JobException(path + ": IDX type 0x" + Integer.toHexString(type)
                        + " is not read here (only 0x08, unsigned bytes)");
            }
            if (rank < 1 || rank > 4) {
                throw new JobException(path + ": IDX rank " + rank + " is not 1 to 4");
            }
            int[] shape = new int[rank];
            long total = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = din.readInt();
                if (shape[d] < 0) {
                    throw new JobException(path + ": negative size " + shape[d] + " in dimension " + d);
                }
                total *= shape[d];
                if (total > Integer.MAX_VALUE - 16) {
                    throw new JobException(path + ": shape " + Arrays.toString(Arrays.copyOf(shape, d + 1))
                            + "... holds more than 2^31 values");
                }
            }
            byte[] data = new byte[(int) total];
            try {
                din.readFully(data);
            } catch (EOFException e) {
                throw new JobException(path + ": truncated: shape " + Arrays.toString(shape) + " needs "
                        + total + " bytes of data");
            }
            if (din.read() != -1) {
                throw new JobException(path + ": bytes after the " + total + " of shape " + Arrays.toString(shape));
            }
            return new Idx(shape, data);
        } catch (IOException e) {
            throw new JobException("cannot read " + path + ": " + e.getMessage());
        }
    }
}

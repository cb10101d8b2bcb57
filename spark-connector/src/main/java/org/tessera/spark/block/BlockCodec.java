package org.tessera.spark.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;

/**
 * The one place that knows how a block is laid out as bytes (Kryo and Java serialization and
 * the shuffle all go through it).
 *
 * <pre>
 *  offset  size         field
 *  0       4            magic 0x4B4C4254 ("TBLK", little-endian)
 *  4       1            format version (1)
 *  5       1            dtype code (0 float32, 1 float64, 2 int32, 3 int64, 4 bool)
 *  6       1            rank r (0..127)
 *  7       1            reserved (0)
 *  8       4 * r        block index per dim (int32)
 *  8+4r    8 * r        block shape per dim (int64)
 *  8+12r   numel*size   the elements, row-major, little-endian (as stored off-heap)
 * </pre>
 */
public final class BlockCodec {
    /** "TBLK" read as a little-endian int. */
    public static final int MAGIC = 0x4B4C4254;
    /** The format version written by this class. */
    public static final byte VERSION = 1;
    private static final int CHUNK = 1 << 16;

    /** Writes bytes; implemented over {@code DataOutput}, Kryo's {@code Output}, streams. */
    @FunctionalInterface
    public interface Sink {
        /** Writes {@code len} bytes of {@code b} from {@code off}. */
        void write(byte[] b, int off, int len) throws IOException;
    }

    /** Reads exactly the requested bytes or fails. */
    @FunctionalInterface
    public interface Source {
        /** Fills {@code b[off, off + len)}. */
        void readFully(byte[] b, int off, int len) throws IOException;
    }

    private BlockCodec() {
    }

    /** The header size for a block of the given rank. */
    public static int headerBytes(int rank) {
        return 8 + 12 * rank;
    }

    /** Writes the header and the raw elements of {@code block}. */
    public static void write(Block block, Sink out) throws IOException {
        Tensor data = block.data().contiguous();
        int rank = data.dim();
        ByteBuffer h = ByteBuffer.allocate(headerBytes(rank)).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(MAGIC).put(VERSION).put((byte) code(data.dtype())).put((byte) rank).put((byte) 0);
        for (int i = 0; i < rank; i++) {
            h.putInt(block.index()[i]);
        }
        for (int i = 0; i < rank; i++) {
            h.putLong(data.shape().get(i));
        }
        out.write(h.array(), 0, h.position());
        long bytes = data.numel() * data.dtype().byteSize();
        Storage st = data.node().storage();
        if (st == null || bytes == 0) {
            return;
        }
        // pinned while read: the contiguous copy of a view is referenced by nothing else, and a
        // collection during the loop would otherwise hand its memory to another tensor
        st.pin();
        try {
            st.checkMapped("serialize block"); // a truncated file fails by name, not by a fault
            long address = data.node().address();
            byte[] buf = new byte[(int) Math.min(CHUNK, bytes)];
            for (long at = 0; at < bytes; at += buf.length) {
                int n = (int) Math.min(buf.length, bytes - at);
                Memory.getBytes(address + at, buf, 0, n);
                out.write(buf, 0, n);
            }
        } finally {
            st.unpin();
        }
    }

    /** Reads a block written by {@link #write}, into fresh off-heap memory. */
    public static Block read(Source in) throws IOException {
        byte[] fixed = new byte[8];
        in.readFully(fixed, 0, 8);
        ByteBuffer f = ByteBuffer.wrap(fixed).order(ByteOrder.LITTLE_ENDIAN);
        int magic = f.getInt();
        if (magic != MAGIC) {
            throw new IOException("block: bad magic 0x" + Integer.toHexString(magic) + "; expected 0x"
                    + Integer.toHexString(MAGIC) + " (not a Tessera block, or a corrupt stream)");
        }
        byte version = f.get();
        if (version != VERSION) {
            throw new IOException("block: format version " + version + " is not supported; this build reads version "
                    + VERSION + " (use the same Tessera version on the driver and the executors)");
        }
        DType dtype = dtype(f.get());
        int rank = f.get();
        f.get();
        byte[] rest = new byte[12 * rank];
        in.readFully(rest, 0, rest.length);
        ByteBuffer r = ByteBuffer.wrap(rest).order(ByteOrder.LITTLE_ENDIAN);
        int[] index = new int[rank];
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            index[i] = r.getInt();
        }
        for (int i = 0; i < rank; i++) {
            shape[i] = r.getLong();
        }
        Shape s = Shape.of(shape);
        long bytes = org.tessera.graph.Node.byteSize("block", s, dtype); // a damaged header cannot overflow
        Storage storage = Storage.allocate(bytes, "block " + BlockIndex.format(index) + " " + s + " " + dtype);
        byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(bytes, 1))];
        for (long at = 0; at < bytes; at += buf.length) {
            int n = (int) Math.min(buf.length, bytes - at);
            in.readFully(buf, 0, n);
            Memory.putBytes(storage.address() + at, buf, 0, n);
        }
        Tensor t = Creation.fromStorage(storage, s, dtype, 0, s.contiguousStrides());
        return new Block(index, t);
    }

    static int code(DType t) {
        return switch (t) {
            case FLOAT32 -> 0;
            case FLOAT64 -> 1;
            case INT32 -> 2;
            case INT64 -> 3;
            case BOOL -> 4;
        };
    }

    static DType dtype(int code) throws IOException {
        return switch (code) {
            case 0 -> DType.FLOAT32;
            case 1 -> DType.FLOAT64;
            case 2 -> DType.INT32;
            case 3 -> DType.INT64;
            case 4 -> DType.BOOL;
            default -> throw new IOException("block: unknown dtype code " + code);
        };
    }
}

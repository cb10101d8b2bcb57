package org.tessera.arrow.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.arrow.IpcFormat;
import org.tessera.arrow.TesseraIOException;
import org.tessera.arrow.internal.ArrowLayouts;
import org.tessera.arrow.internal.Bits;
import org.tessera.arrow.internal.SharedMemory;
import org.tessera.graph.Node;
import org.tessera.memory.Memory;

/**
 * Writes one tensor as described in {@link TensorFileFormat}. Numeric data goes from the
 * tensor's memory to the file with no copy in Java (each batch's data buffer is a slice of the
 * tensor's buffer); bool data is bit-packed one batch at a time. The file appears under its
 * name only when complete (written to a temporary sibling, then moved).
 */
public final class TensorFileWriter {
    private static final int NIO_CHUNK = 1 << 30;

    private TensorFileWriter() {
    }

    /** Writes {@code tensor} to {@code path} in {@code format} with batches of about {@code batchBytes}. */
    public static void write(Tensor tensor, Path path, IpcFormat format, long batchBytes) {
        if (batchBytes <= 0) {
            throw new IllegalArgumentException("save: batch size " + batchBytes + " bytes; expected a positive number");
        }
        Node h = SharedMemory.host(tensor);
        if (!h.isContiguous()) {
            h = Tensor.of(h).contiguous().node();
        }
        DType dtype = h.dtype();
        long numel = h.shape().numel();
        long batch = TensorFileFormat.batchElements(dtype, batchBytes);
        int batches = (int) Math.min(Integer.MAX_VALUE, (numel + batch - 1) / batch);
        BufferAllocator allocator = Memory.root().newChildAllocator("save " + path, 0, Memory.root().getLimit());
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp-" + Long.toHexString(System.nanoTime()));
        try {
            long[] crcs = new long[batches];
            for (int i = 0; i < batches; i++) {
                long start = i * batch;
                int len = (int) Math.min(batch, numel - start);
                try (ArrowBuf data = dataBuffer(h, start, len, allocator)) {
                    crcs[i] = crc(data, ArrowLayouts.dataBytes(dtype, len));
                }
            }
            Schema schema = TensorFileFormat.schema(dtype, h.shape(), batch, crcs);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 WriteChannel out = new WriteChannel(ch)) {
                if (format == IpcFormat.FILE) {
                    out.write(TensorFileFormat.MAGIC);
                    out.align();
                }
                MessageSerializer.serialize(out, schema);
                List<ArrowBlock> blocks = new ArrayList<>();
                for (int i = 0; i < batches; i++) {
                    long start = i * batch;
                    int len = (int) Math.min(batch, numel - start);
                    try (ArrowBuf data = dataBuffer(h, start, len, allocator);
                         ArrowRecordBatch rb = new ArrowRecordBatch(len, List.of(new ArrowFieldNode(len, 0)),
                                 List.of(allocator.getEmpty(), data))) {
                        blocks.add(MessageSerializer.serialize(out, rb));
                    }
                }
                out.writeIntLittleEndian(MessageSerializer.IPC_CONTINUATION_TOKEN);
                out.writeIntLittleEndian(0);
                if (format == IpcFormat.FILE) {
                    long footerStart = out.getCurrentPosition();
                    out.write(new ArrowFooter(schema, List.of(), blocks), false);
                    out.writeIntLittleEndian((int) (out.getCurrentPosition() - footerStart));
                    out.write(TensorFileFormat.MAGIC);
                }
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new TesseraIOException(path.toString(), "cannot write the tensor file: " + e, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the move succeeded or the write failed: either way nothing more can be done here
            }
            allocator.close();
        }
    }

    /**
     * The batch's data as an Arrow buffer: a slice of the tensor's memory for numeric dtypes
     * (one reference added, released by close), a new bit-packed buffer for bool.
     */
    private static ArrowBuf dataBuffer(Node h, long start, int len, BufferAllocator allocator) {
        if (h.dtype() != DType.BOOL) {
            ArrowBuf s = SharedMemory.slice(h, h.offset() + start, len);
            s.getReferenceManager().retain();
            return s;
        }
        long bytes = (len + 7) / 8;
        ArrowBuf bits = allocator.buffer(Math.max(8, bytes));
        bits.setZero(0, bits.capacity());
        Bits.pack(h.address() + start, bits.memoryAddress(), len);
        bits.writerIndex(bytes);
        return bits;
    }

    /** CRC-32C of the first {@code bytes} bytes of {@code buf}. */
    static long crc(ArrowBuf buf, long bytes) {
        CRC32C c = new CRC32C();
        for (long done = 0; done < bytes; done += NIO_CHUNK) {
            int len = (int) Math.min(NIO_CHUNK, bytes - done);
            ByteBuffer b = buf.nioBuffer(done, len);
            c.update(b);
        }
        return c.getValue();
    }
}

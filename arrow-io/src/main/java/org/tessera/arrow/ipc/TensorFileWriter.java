package org.tessera.arrow.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.arrow.IpcFormat;
import org.tessera.arrow.TesseraIOException;
import org.tessera.arrow.internal.ArrowLayouts;
import org.tessera.arrow.internal.Bits;
import org.tessera.arrow.internal.Crc32c;
import org.tessera.arrow.internal.SharedMemory;
import org.tessera.graph.Node;
import org.tessera.memory.Memory;

/**
 * Writes one tensor as described in {@link TensorFileFormat}, with Arrow Java's serializers for
 * the schema, the record batch headers, the bodies and the footer; only the batch Message is
 * built here, because Arrow Java cannot attach custom metadata to it. Numeric data goes from the
 * tensor's memory to the file with no copy in Java (each batch's data buffer is a slice of the
 * tensor's buffer), each batch's body starting at a multiple of 64 bytes of the file so that a
 * reader can map it in place; bool data is bit-packed one batch at a time. The file appears under its name
 * only when complete (written to a temporary sibling, then moved).
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
        Node h = SharedMemory.hostForReading(tensor, "save");
        if (!h.isContiguous()) {
            h = Tensor.of(h).contiguous().node();
        }
        DType dtype = h.dtype();
        Shape shape = h.shape();
        TensorFileFormat.Plan plan = TensorFileFormat.plan(dtype, shape, batchBytes);
        Schema schema = TensorFileFormat.schema(dtype, shape, plan);
        BufferAllocator allocator = Memory.root().newChildAllocator("save " + path, 0, Memory.root().getLimit());
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp-" + Long.toHexString(System.nanoTime()));
        try {
            byte[] schemaMessage = schemaMessage(schema);
            long schemaDigest = TensorFileFormat.crc(ByteBuffer.wrap(schemaMessage));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 WriteChannel out = new WriteChannel(ch)) {
                if (format == IpcFormat.FILE) {
                    out.write(TensorFileFormat.MAGIC);
                    out.align();
                }
                out.write(schemaMessage);
                List<ArrowBlock> blocks = new ArrayList<>();
                long start = 0;
                for (int i = 0; i < plan.batches(); i++) {
                    long rows = plan.rowsIn(i);
                    long n = rows * plan.rowElements();
                    try (ArrowBuf data = dataBuffer(h, start, n, allocator)) {
                        // the data's checksum is computed while the body is written (the header's
                        // placeholder is overwritten in place once it is known)
                        long dataBytes = ArrowLayouts.dataBytes(dtype, n);
                        java.util.concurrent.CompletableFuture<Long> dataDigest =
                                java.util.concurrent.CompletableFuture.supplyAsync(() -> crc(data, dataBytes));
                        try {
                            List<ArrowFieldNode> nodes = plan.tensorColumn()
                                    ? List.of(new ArrowFieldNode(rows, 0), new ArrowFieldNode(n, 0))
                                    : List.of(new ArrowFieldNode(n, 0));
                            List<ArrowBuf> buffers = plan.tensorColumn()
                                    ? List.of(allocator.getEmpty(), allocator.getEmpty(), data)
                                    : List.of(allocator.getEmpty(), data);
                            try (ArrowRecordBatch rb = new ArrowRecordBatch((int) rows, nodes, buffers)) {
                                blocks.add(writeBatch(ch, out, rb, schemaDigest, i, plan.batches(), dataDigest));
                            }
                        } finally {
                            // the checksum reads the data: it must be done before the buffer is released
                            try {
                                dataDigest.join();
                            } catch (RuntimeException ignored) {
                                // reported by writeBatch when it got that far
                            }
                        }
                    }
                    start += n;
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

    /** The schema message as Arrow Java frames it (prefix, metadata, padding), so that its checksum can be taken. */
    private static byte[] schemaMessage(Schema schema) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (WriteChannel w = new WriteChannel(Channels.newChannel(bytes))) {
            MessageSerializer.serialize(w, schema);
        }
        return bytes.toByteArray();
    }

    /**
     * Writes one record batch message whose custom metadata carries its checksums: the header is
     * built with the placeholder value, checksummed, then the value is written into the same bytes.
     */
    private static ArrowBlock writeBatch(FileChannel ch, WriteChannel out, ArrowRecordBatch rb, long schemaDigest, int i,
                                         int m, java.util.concurrent.CompletableFuture<Long> dataDigest)
            throws IOException {
        FlatBufferBuilder b = new FlatBufferBuilder(256);
        int header = rb.writeTo(b);
        int kv = KeyValue.createKeyValue(b, b.createString(TensorFileFormat.KEY_CRC),
                b.createString(TensorFileFormat.PLACEHOLDER));
        int custom = Message.createCustomMetadataVector(b, new int[] {kv});
        long bodyLength = rb.computeBodyLength();
        Message.startMessage(b);
        Message.addVersion(b, IpcOption.DEFAULT.metadataVersion.toFlatbufID());
        Message.addHeaderType(b, MessageHeader.RecordBatch);
        Message.addHeader(b, header);
        Message.addBodyLength(b, bodyLength);
        Message.addCustomMetadata(b, custom);
        b.finish(Message.endMessage(b));
        ByteBuffer meta = b.dataBuffer();
        int len = meta.remaining();
        long offset = out.getCurrentPosition();
        // the metadata is padded (with zeros, which the header checksum covers) so that the body, and the data
        // at its start, begins at a multiple of 64 bytes in the file: a reader can then map the data in place
        long bodyStart = (offset + 8 + len + TensorFileFormat.BODY_ALIGNMENT - 1) / TensorFileFormat.BODY_ALIGNMENT
                * TensorFileFormat.BODY_ALIGNMENT;
        int padded = (int) (bodyStart - offset - 8);
        ByteBuffer raw = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        raw.putInt(MessageSerializer.IPC_CONTINUATION_TOKEN).putInt(padded).put(meta).position(0);
        int at = 8 + IpcMessages.digestValueOffset(Message.getRootAsMessage(raw.duplicate().position(8).slice()));
        long headerDigest = TensorFileFormat.headerDigest(schemaDigest, i, m, raw);
        // the header goes out with its placeholder; the value (of the same length) replaces it in the
        // file once the data's checksum, computed while the body is written, is known
        out.write(raw.duplicate());
        long written = MessageSerializer.writeBatchBuffers(out, rb);
        if (written != bodyLength) {
            throw new IOException("record batch " + i + ": wrote " + written + " body bytes, expected " + bodyLength);
        }
        long digest;
        try {
            digest = dataDigest.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new IOException("record batch " + i + ": cannot checksum the data: " + e.getCause(), e.getCause());
        }
        byte[] value = TensorFileFormat.digestValue(headerDigest, digest).getBytes(StandardCharsets.US_ASCII);
        ByteBuffer patch = ByteBuffer.wrap(value);
        long patchAt = offset + at;
        while (patch.hasRemaining()) {
            patchAt += ch.write(patch, patchAt);
        }
        return new ArrowBlock(offset, raw.capacity(), bodyLength);
    }

    /**
     * The batch's data as an Arrow buffer: a slice of the tensor's memory for numeric dtypes
     * (one reference added, released by close), a new bit-packed buffer for bool.
     */
    private static ArrowBuf dataBuffer(Node h, long start, long len, BufferAllocator allocator) {
        if (len == 0) {
            return allocator.getEmpty();
        }
        if (h.dtype() != DType.BOOL) {
            ArrowBuf s = SharedMemory.sliceForReading(h, h.offset() + start, len);
            s.getReferenceManager().retain();
            return s;
        }
        long bytes = (len + 7) / 8;
        ArrowBuf bits = allocator.buffer(Math.max(8, bytes));
        bits.setZero(0, bits.capacity());
        org.tessera.memory.Storage pinned = h.storage().pin(); // the caller's copy may be unreachable after this
        try {
            Bits.pack(h.address() + start, bits.memoryAddress(), len);
        } finally {
            pinned.unpin();
        }
        bits.writerIndex(bytes);
        return bits;
    }

    /** Bytes per piece of a parallel checksum. */
    private static final long CRC_PIECE = 64L << 20;

    /**
     * CRC-32C of the first {@code bytes} bytes of {@code buf}: pieces of {@link #CRC_PIECE} bytes
     * checksummed in parallel and their values joined in order, so a large batch is not limited to
     * one core's checksum speed.
     */
    static long crc(ArrowBuf buf, long bytes) {
        if (bytes <= CRC_PIECE) {
            return crc(buf, 0, bytes);
        }
        int pieces = (int) ((bytes + CRC_PIECE - 1) / CRC_PIECE);
        long[] crcs = new long[pieces];
        java.util.stream.IntStream.range(0, pieces).parallel().forEach(k -> {
            long off = k * CRC_PIECE;
            crcs[k] = crc(buf, off, Math.min(CRC_PIECE, bytes - off));
        });
        long c = crcs[0];
        for (int k = 1; k < pieces; k++) {
            c = Crc32c.combine(c, crcs[k], Math.min(CRC_PIECE, bytes - k * CRC_PIECE));
        }
        return c;
    }

    /** CRC-32C of bytes {@code [from, from + bytes)} of {@code buf}, on one thread. */
    private static long crc(ArrowBuf buf, long from, long bytes) {
        CRC32C c = new CRC32C();
        for (long done = 0; done < bytes; done += NIO_CHUNK) {
            int len = (int) Math.min(NIO_CHUNK, bytes - done);
            c.update(buf.nioBuffer(from + done, len));
        }
        return c.getValue();
    }
}

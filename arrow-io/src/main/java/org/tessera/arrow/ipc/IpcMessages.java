package org.tessera.arrow.ipc;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Bounds-checked reading of Arrow IPC framing from a file: every length read from the file is
 * checked against the bytes that are really there before anything is allocated for it, so a
 * forged length fails with a message instead of an {@link OutOfMemoryError}.
 */
final class IpcMessages {
    /** The largest metadata flatbuffer accepted (schemas with many checksums stay far below). */
    static final int MAX_METADATA = 64 << 20;

    /** A failure with what was wrong; the reader adds the file name. */
    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** One record batch: its length, field nodes, buffers and where its body starts. */
    record Batch(long length, long[][] nodes, long[][] buffers, long bodyStart, long bodyLength, boolean compressed) {
    }

    /** A parsed message header and where its body lies. */
    record Framed(Message message, long bodyStart, long end) {
    }

    private final FileChannel ch;
    private final long size;

    IpcMessages(FileChannel ch, long size) {
        this.ch = ch;
        this.size = size;
    }

    /** Reads exactly {@code n} bytes at {@code pos} into a new little-endian heap buffer. */
    ByteBuffer read(long pos, int n) throws IOException {
        if (n < 0 || pos < 0 || pos > size - n) {
            throw new Malformed(n + " bytes at offset " + pos + " lie beyond the end of the file (" + size + " bytes)");
        }
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new EOFException("end of file at offset " + (pos + b.position()));
            }
        }
        return b.flip();
    }

    /**
     * The message framed at {@code pos}, or null at an end-of-stream marker or the end of the
     * file; {@code limit} bounds where its metadata may extend.
     */
    Framed frame(long pos, long limit) throws IOException {
        if (pos == size) {
            return null;
        }
        if (size - pos < 4) {
            throw new Malformed("truncated message prefix at offset " + pos);
        }
        int len = read(pos, 4).getInt();
        long metaStart = pos + 4;
        if (len == -1) { // continuation marker, then the length
            if (size - pos < 8) {
                throw new Malformed("truncated message prefix at offset " + pos);
            }
            len = read(pos + 4, 4).getInt();
            metaStart = pos + 8;
        }
        if (len == 0) {
            return null;
        }
        if (len < 0 || len > MAX_METADATA || len > limit - metaStart) {
            throw new Malformed("message at offset " + pos + " declares " + len + " metadata bytes but "
                    + Math.max(0, limit - metaStart) + " remain");
        }
        Message m = Message.getRootAsMessage(read(metaStart, len));
        long body = m.bodyLength();
        long bodyStart = metaStart + len;
        if (body < 0 || body > size - bodyStart) {
            throw new Malformed("message at offset " + pos + " declares a body of " + body + " bytes but "
                    + (size - bodyStart) + " remain in the file");
        }
        return new Framed(m, bodyStart, bodyStart + body);
    }

    /** The schema in a message, or an error naming what the message was instead. */
    static Schema schema(Message m, long pos) {
        if (m.headerType() != MessageHeader.Schema) {
            throw new Malformed("expected a schema message at offset " + pos + ", found message type "
                    + m.headerType());
        }
        org.apache.arrow.flatbuf.Schema s = (org.apache.arrow.flatbuf.Schema) m.header(new org.apache.arrow.flatbuf.Schema());
        if (s == null) {
            throw new Malformed("schema message at offset " + pos + " has no schema");
        }
        return Schema.convertSchema(s);
    }

    /** The record batch in a framed message. */
    static Batch batch(Framed f, long pos) {
        Message m = f.message();
        if (m.headerType() == MessageHeader.DictionaryBatch) {
            throw new Malformed("dictionary batch at offset " + pos + ": dictionary-encoded columns are not supported");
        }
        if (m.headerType() != MessageHeader.RecordBatch) {
            throw new Malformed("expected a record batch at offset " + pos + ", found message type " + m.headerType());
        }
        RecordBatch rb = (RecordBatch) m.header(new RecordBatch());
        if (rb == null) {
            throw new Malformed("record batch message at offset " + pos + " has no header");
        }
        int nn = rb.nodesLength();
        int nb = rb.buffersLength();
        if (nn < 0 || nn > 64 || nb < 0 || nb > 256) {
            throw new Malformed("record batch at offset " + pos + " declares " + nn + " field nodes and " + nb
                    + " buffers");
        }
        long[][] nodes = new long[nn][];
        FieldNode fn = new FieldNode();
        for (int i = 0; i < nn; i++) {
            rb.nodes(fn, i);
            nodes[i] = new long[] {fn.length(), fn.nullCount()};
        }
        long[][] buffers = new long[nb][];
        Buffer b = new Buffer();
        for (int i = 0; i < nb; i++) {
            rb.buffers(b, i);
            buffers[i] = new long[] {b.offset(), b.length()};
        }
        return new Batch(rb.length(), nodes, buffers, f.bodyStart(), f.end() - f.bodyStart(), rb.compression() != null);
    }

    /** The footer of a file-format file: its schema and record batch blocks {offset, metadata, body}. */
    record FooterInfo(Schema schema, List<long[]> blocks, int dictionaries, long footerStart) {
    }

    FooterInfo footer() throws IOException {
        if (size < 6 + 2 + 4 + 6) {
            throw new Malformed("only " + size + " bytes: too short for an Arrow IPC file");
        }
        ByteBuffer tail = read(size - 10, 10);
        int footerLength = tail.getInt();
        for (int i = 0; i < 6; i++) {
            if (tail.get(4 + i) != TensorFileFormat.MAGIC[i]) {
                throw new Malformed("the file does not end with the Arrow magic 'ARROW1': truncated or not an Arrow"
                        + " IPC file");
            }
        }
        long footerStart = size - 10 - (long) footerLength;
        if (footerLength <= 0 || footerStart < 8) {
            throw new Malformed("footer length " + footerLength + " does not fit the " + size + "-byte file");
        }
        Footer f = Footer.getRootAsFooter(read(footerStart, footerLength));
        org.apache.arrow.flatbuf.Schema s = f.schema();
        if (s == null) {
            throw new Malformed("the footer has no schema");
        }
        Schema schema = Schema.convertSchema(s);
        int n = f.recordBatchesLength();
        if (n < 0 || n > footerLength / 24) {
            throw new Malformed("the footer declares " + n + " record batches in " + footerLength + " bytes");
        }
        List<long[]> blocks = new ArrayList<>();
        org.apache.arrow.flatbuf.Block b = new org.apache.arrow.flatbuf.Block();
        for (int i = 0; i < n; i++) {
            f.recordBatches(b, i);
            long off = b.offset();
            long meta = b.metaDataLength();
            long body = b.bodyLength();
            if (off < 8 || meta < 8 || body < 0 || off > footerStart || meta > footerStart - off
                    || body > footerStart - off - meta) {
                throw new Malformed("footer block " + i + " (offset " + off + ", metadata " + meta + ", body " + body
                        + " bytes) does not lie within the file's " + footerStart + " bytes of messages");
            }
            blocks.add(new long[] {off, meta, body});
        }
        return new FooterInfo(schema, blocks, f.dictionariesLength(), footerStart);
    }
}

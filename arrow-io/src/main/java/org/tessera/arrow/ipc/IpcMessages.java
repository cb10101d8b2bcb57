package org.tessera.arrow.ipc;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flatbuf.BodyCompression;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.Endianness;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Bounds-checked reading of Arrow IPC framing from a file: every length read from the file is
 * checked against the bytes that are really there before anything is allocated for it, so a
 * forged length fails with a message instead of an {@link OutOfMemoryError}. The flatbuffers are
 * decoded with Arrow Java's generated classes and converters ({@code Schema.convertSchema},
 * {@link ArrowFooter}); each message's raw prefix and metadata bytes are kept for the checksums.
 */
final class IpcMessages {
    /** The largest metadata flatbuffer accepted (schemas with many checksums stay far below). */
    static final int MAX_METADATA = 64 << 20;
    /** The most custom metadata entries read from one message. */
    private static final int MAX_ENTRIES = 4096;

    /** A failure with what was wrong; the reader adds the file name. */
    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * One record batch: its length, field nodes {length, nulls}, buffers {offset, length}, where its
     * body lies, its compression codec (null when uncompressed), its custom metadata, and the raw
     * prefix and metadata bytes of its message.
     */
    record Batch(long offset, long length, long[][] nodes, long[][] buffers, long bodyStart, long bodyLength,
                 String compression, Map<String, String> metadata, ByteBuffer raw, int prefix) {
    }

    /**
     * A framed message at {@code start}: its raw prefix and metadata bytes, the prefix length,
     * the parsed Message (null for an end-of-stream marker), and where its body lies.
     */
    record Framed(long start, ByteBuffer raw, int prefix, Message message, long bodyStart, long end) {
        boolean eos() {
            return message == null;
        }
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
     * The message framed at {@code pos} (an end-of-stream marker is a Framed without message), or
     * null at the end of the file; {@code limit} bounds where its metadata may extend. Both the
     * current framing (FF FF FF FF, length) and the pre-1.0 one (length only) are read.
     */
    Framed frame(long pos, long limit) throws IOException {
        if (pos == size) {
            return null;
        }
        if (size - pos < 4) {
            throw new Malformed("truncated message prefix at offset " + pos);
        }
        int len = read(pos, 4).getInt();
        int prefix = 4;
        if (len == -1) { // continuation marker, then the length
            if (size - pos < 8) {
                throw new Malformed("truncated message prefix at offset " + pos);
            }
            len = read(pos + 4, 4).getInt();
            prefix = 8;
        }
        if (len == 0) {
            return new Framed(pos, read(pos, prefix), prefix, null, pos + prefix, pos + prefix);
        }
        long metaStart = pos + prefix;
        if (len < 0 || len > MAX_METADATA || len > limit - metaStart) {
            throw new Malformed("message at offset " + pos + " declares " + len + " metadata bytes but "
                    + Math.max(0, limit - metaStart) + " remain");
        }
        ByteBuffer raw = read(pos, prefix + len);
        Message m = Message.getRootAsMessage(raw.duplicate().position(prefix).slice().order(ByteOrder.LITTLE_ENDIAN));
        if (m.version() < MetadataVersion.V4) {
            throw new Malformed("message at offset " + pos + " has metadata version "
                    + (m.version() >= 0 && m.version() < MetadataVersion.names.length ? MetadataVersion.name(m.version())
                    : Short.toString(m.version())) + "; Arrow IPC before format version V4 (Arrow 0.8) is not supported");
        }
        long body = m.bodyLength();
        long bodyStart = metaStart + len;
        if (body < 0 || body > size - bodyStart) {
            throw new Malformed("message at offset " + pos + " declares a body of " + body + " bytes but "
                    + (size - bodyStart) + " remain in the file");
        }
        return new Framed(pos, raw, prefix, m, bodyStart, bodyStart + body);
    }

    /** The schema in a message, or an error naming what the message was instead. */
    static Schema schema(Framed f) {
        Message m = f.message();
        if (m == null || m.headerType() != MessageHeader.Schema) {
            throw new Malformed("expected a schema message at offset " + f.start() + ", found "
                    + (m == null ? "an end-of-stream marker" : "message type " + typeName(m.headerType())));
        }
        if (m.bodyLength() != 0) {
            throw new Malformed("the schema message at offset " + f.start() + " declares a body of " + m.bodyLength()
                    + " bytes; a schema has none");
        }
        org.apache.arrow.flatbuf.Schema s = (org.apache.arrow.flatbuf.Schema) m.header(new org.apache.arrow.flatbuf.Schema());
        if (s == null) {
            throw new Malformed("schema message at offset " + f.start() + " has no schema");
        }
        return convert(s, "the schema message at offset " + f.start());
    }

    private static Schema convert(org.apache.arrow.flatbuf.Schema s, String where) {
        if (s.endianness() != Endianness.Little) {
            throw new Malformed(where + " declares big-endian data; only little-endian Arrow data is supported"
                    + " (rewrite the file on a little-endian machine or with an Arrow library that swaps bytes)");
        }
        return Schema.convertSchema(s);
    }

    static String typeName(byte type) {
        return type >= 0 && type < MessageHeader.names.length ? MessageHeader.name(type) + " (" + type + ")"
                : Byte.toString(type);
    }

    /** The record batch in a framed message. */
    static Batch batch(Framed f) {
        Message m = f.message();
        long pos = f.start();
        if (m == null) {
            throw new Malformed("expected a record batch at offset " + pos + ", found an end-of-stream marker");
        }
        if (m.headerType() == MessageHeader.DictionaryBatch) {
            throw new Malformed("dictionary batch at offset " + pos + ": dictionary-encoded columns are not supported");
        }
        if (m.headerType() != MessageHeader.RecordBatch) {
            throw new Malformed("expected a record batch at offset " + pos + ", found message type "
                    + typeName(m.headerType()));
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
        BodyCompression c = rb.compression();
        String compression = null;
        if (c != null) {
            byte codec = c.codec();
            compression = codec >= 0 && codec < CompressionType.names.length ? CompressionType.name(codec)
                    : "codec " + codec;
        }
        return new Batch(pos, rb.length(), nodes, buffers, f.bodyStart(), f.end() - f.bodyStart(), compression,
                customMetadata(m, pos), f.raw(), f.prefix());
    }

    private static Map<String, String> customMetadata(Message m, long pos) {
        int n = m.customMetadataLength();
        if (n < 0 || n > MAX_ENTRIES) {
            throw new Malformed("message at offset " + pos + " declares " + n + " custom metadata entries");
        }
        Map<String, String> md = new LinkedHashMap<>();
        KeyValue kv = new KeyValue();
        for (int i = 0; i < n; i++) {
            m.customMetadata(kv, i);
            md.put(String.valueOf(kv.key()), String.valueOf(kv.value()));
        }
        return md;
    }

    /**
     * Where the value of {@link TensorFileFormat#KEY_CRC} starts in a Message's metadata bytes
     * (the buffer the Message was read from, starting at the flatbuffer); the value must be as long
     * as {@link TensorFileFormat#PLACEHOLDER}.
     */
    static int digestValueOffset(Message m) {
        KeyValue kv = new KeyValue();
        int n = m.customMetadataLength();
        for (int i = 0; i < n && i < MAX_ENTRIES; i++) {
            m.customMetadata(kv, i);
            if (TensorFileFormat.KEY_CRC.equals(kv.key())) {
                ByteBuffer v = kv.valueAsByteBuffer();
                if (v == null || v.remaining() != TensorFileFormat.PLACEHOLDER.length()) {
                    throw new Malformed(TensorFileFormat.KEY_CRC + " value has " + (v == null ? 0 : v.remaining())
                            + " bytes; expected " + TensorFileFormat.PLACEHOLDER.length());
                }
                return v.position();
            }
        }
        throw new Malformed("the message has no " + TensorFileFormat.KEY_CRC + " entry");
    }

    /** The footer of a file-format file: its schema and record batch blocks. */
    record FooterInfo(Schema schema, List<ArrowBlock> blocks, int dictionaries, long footerStart) {
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
        int n = f.recordBatchesLength();
        if (n < 0 || n > footerLength / 24) {
            throw new Malformed("the footer declares " + n + " record batches in " + footerLength + " bytes");
        }
        int dictionaries = f.dictionariesLength();
        Schema schema = convert(s, "the footer");
        ArrowFooter footer = new ArrowFooter(f);
        List<ArrowBlock> blocks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ArrowBlock b = footer.getRecordBatches().get(i);
            long off = b.getOffset();
            long meta = b.getMetadataLength();
            long body = b.getBodyLength();
            if (off < 8 || meta < 8 || body < 0 || off > footerStart || meta > footerStart - off
                    || body > footerStart - off - meta) {
                throw new Malformed("footer block " + i + " (offset " + off + ", metadata " + meta + ", body " + body
                        + " bytes) does not lie within the file's " + footerStart + " bytes of messages");
            }
            blocks.add(b);
        }
        return new FooterInfo(schema, blocks, dictionaries, footerStart);
    }
}

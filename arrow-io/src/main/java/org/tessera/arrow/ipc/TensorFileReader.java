package org.tessera.arrow.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.TesseraMemoryException;
import org.tessera.arrow.LoadMode;
import org.tessera.arrow.TesseraIOException;
import org.tessera.arrow.internal.ArrowLayouts;
import org.tessera.arrow.internal.Bits;
import org.tessera.arrow.internal.Crc32c;
import org.tessera.memory.MappedFiles;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;

/**
 * Reads one tensor from an Arrow IPC file or stream, validating every length against the file
 * before using it. Reads Tessera's own files ({@link TensorFileFormat}, checksums verified) and
 * files from other Arrow libraries that hold a single column: a primitive column becomes a 1-D
 * tensor, a FixedSizeList or {@code arrow.fixed_shape_tensor} column a {@code [rows, ...]} tensor.
 *
 * <p>When the tensor is one record batch of a numeric dtype whose data starts at a multiple of 64
 * bytes in the file, and the {@link LoadMode} allows, the data is mapped read-only and used in
 * place ({@link MappedFiles}), after every length has been checked against the file and its
 * checksum verified on the mapped bytes. Otherwise the tensor's memory is allocated once, after
 * the metadata of every batch has been checked
 * (and, for a Tessera file, every header checksum verified), and numeric data is read from the
 * file straight into it; the only other buffers are the messages' metadata (and, for bool, one
 * batch's packed bits). Arrow Java's {@code ArrowFileReader} and {@code ArrowStreamReader} are not
 * used for this: they read each batch body into a buffer of their own, sized by the length the
 * file declares before it is checked against the file, where this reader needs the data in the
 * tensor's single allocation and a forged length to be an error rather than an allocation. The
 * flatbuffers themselves are decoded with Arrow Java's classes ({@link IpcMessages}).
 */
public final class TensorFileReader {
    private static final int NIO_CHUNK = 1 << 30;
    /** Tensors from this size on are read with several threads. */
    private static final long PARALLEL_BYTES = 32L << 20;
    /** The most bytes of a batch that one thread reads at a time in a copying load. */
    private static final long PIECE_BYTES = 64L << 20;
    /** The least data that {@link LoadMode#AUTO} maps. */
    public static final long MIN_MAPPED_BYTES = 1L << 20;

    private final Path path;
    private final String src;
    private final LoadMode mode;

    private TensorFileReader(Path path, LoadMode mode) {
        this.path = path;
        this.src = path.toString();
        this.mode = mode;
    }

    /** Reads the tensor in {@code path}, mapping it when it can; every failure is a {@link TesseraIOException}. */
    public static Tensor read(Path path) {
        return read(path, LoadMode.AUTO);
    }

    /** Reads the tensor in {@code path} as {@code mode} says; every failure is a {@link TesseraIOException}. */
    public static Tensor read(Path path, LoadMode mode) {
        return new TensorFileReader(path, mode).read();
    }

    private Tensor read() {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            IpcMessages io = new IpcMessages(ch, size);
            boolean fileFormat = size >= 8 && startsWithMagic(io.read(0, 8));
            Schema schema;
            IpcMessages.Framed schemaMessage;
            List<IpcMessages.Batch> batches = new ArrayList<>();
            if (fileFormat) {
                IpcMessages.FooterInfo footer = io.footer();
                if (footer.dictionaries() != 0) {
                    throw new IpcMessages.Malformed("the footer lists dictionary batches: dictionary-encoded columns"
                            + " are not supported");
                }
                for (int i = 0; i < footer.blocks().size(); i++) {
                    ArrowBlock b = footer.blocks().get(i);
                    long metaEnd = b.getOffset() + b.getMetadataLength();
                    IpcMessages.Framed f = io.frame(b.getOffset(), metaEnd);
                    if (f == null || f.eos() || f.bodyStart() > metaEnd || f.end() - f.bodyStart() != b.getBodyLength()) {
                        throw new IpcMessages.Malformed("footer block " + i + " (offset " + b.getOffset()
                                + ") does not match the message stored there");
                    }
                    batches.add(IpcMessages.batch(f));
                }
                // the file format repeats the schema as a message after the magic; Arrow JS leaves it out, and
                // readers use the footer's copy, so only a Tessera file must have it (its checksums cover it)
                schemaMessage = leadingSchema(io, footer.footerStart());
                Schema leading = schemaMessage == null ? null : IpcMessages.schema(schemaMessage);
                boolean tessera = ColumnLayout.marked(footer.schema()) || (leading != null && ColumnLayout.marked(leading))
                        || batches.stream().anyMatch(b -> ColumnLayout.hasTesseraKey(b.metadata()));
                if (tessera && leading == null) {
                    throw new IpcMessages.Malformed("the schema message at offset 8 of this Tessera file is missing or"
                            + " damaged");
                }
                if (tessera && !footer.schema().equals(leading)) {
                    throw new IpcMessages.Malformed("the schema in the footer differs from the schema message at"
                            + " the start of the file; one of them is damaged");
                }
                schema = tessera ? leading : footer.schema();
            } else {
                schemaMessage = io.frame(0, size);
                if (schemaMessage == null) {
                    throw new IpcMessages.Malformed("empty file: no schema message");
                }
                schema = IpcMessages.schema(schemaMessage);
                long pos = schemaMessage.end();
                IpcMessages.Framed f;
                while ((f = io.frame(pos, size)) != null) {
                    if (f.eos()) {
                        if (f.end() != size) {
                            throw new IpcMessages.Malformed((size - f.end()) + " bytes follow the end-of-stream marker"
                                    + " at offset " + pos + "; the stream is damaged or has data appended");
                        }
                        break;
                    }
                    batches.add(IpcMessages.batch(f));
                    pos = f.end();
                }
            }
            boolean batchesMarked = batches.stream().anyMatch(b -> ColumnLayout.hasTesseraKey(b.metadata()));
            ColumnLayout layout = ColumnLayout.of(schema, batchesMarked);
            long[] dataDigests = TensorFileFormat.VERSION.equals(layout.version())
                    ? verifyHeaders(schemaMessage, batches, layout) : null;
            return load(ch, size, layout, batches, dataDigests);
        } catch (TesseraIOException e) {
            if (e.source().equals(src)) {
                throw e;
            }
            throw new TesseraIOException(src, e.getMessage(), e);
        } catch (TesseraMemoryException e) {
            throw e;
        } catch (IpcMessages.Malformed e) {
            throw new TesseraIOException(src, e.getMessage());
        } catch (NoSuchFileException e) {
            throw new TesseraIOException(src, "no such file", e);
        } catch (IOException e) {
            throw new TesseraIOException(src, "cannot read: " + e, e);
        } catch (RuntimeException | StackOverflowError e) {
            // flatbuffer accessors over damaged bytes fail with index errors (or recurse on cyclic offsets)
            throw new TesseraIOException(src, "malformed Arrow metadata: " + e, e);
        }
    }

    private static boolean startsWithMagic(ByteBuffer head) {
        for (int i = 0; i < TensorFileFormat.MAGIC.length; i++) {
            if (head.get(i) != TensorFileFormat.MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** The schema message after the file format's magic, or null when there is none or it cannot be read. */
    private static IpcMessages.Framed leadingSchema(IpcMessages io, long footerStart) {
        try {
            IpcMessages.Framed f = io.frame(8, footerStart);
            if (f == null || f.eos() || f.message().headerType() != MessageHeader.Schema) {
                return null;
            }
            IpcMessages.schema(f);
            return f;
        } catch (IOException | RuntimeException | StackOverflowError e) {
            return null;
        }
    }

    /**
     * Checks each batch's header checksum (which covers the schema message, the batch's position
     * and its header bytes) and returns the data checksums, before anything is allocated.
     */
    private static long[] verifyHeaders(IpcMessages.Framed schemaMessage, List<IpcMessages.Batch> batches,
                                        ColumnLayout l) {
        if (batches.size() != l.batches()) {
            throw new IpcMessages.Malformed("holds " + batches.size() + " record batches; the schema declares "
                    + l.batches() + " (the file is truncated or damaged)");
        }
        long schemaDigest = TensorFileFormat.crc(schemaMessage.raw());
        long[] data = new long[batches.size()];
        for (int i = 0; i < batches.size(); i++) {
            IpcMessages.Batch b = batches.get(i);
            String value = b.metadata().get(TensorFileFormat.KEY_CRC);
            if (value == null || !value.matches("[0-9a-f]{8},[0-9a-f]{8}")) {
                throw new IpcMessages.Malformed("record batch " + i + ": " + TensorFileFormat.KEY_CRC + " is "
                        + (value == null ? "missing" : TensorFileFormat.abbreviate(value))
                        + "; the batch header is damaged");
            }
            ByteBuffer raw = ByteBuffer.allocate(b.raw().capacity()).order(ByteOrder.LITTLE_ENDIAN);
            raw.put(b.raw().duplicate().clear()).flip();
            Message m = Message.getRootAsMessage(raw.duplicate().position(b.prefix()).slice()
                    .order(ByteOrder.LITTLE_ENDIAN));
            int at = b.prefix() + IpcMessages.digestValueOffset(m);
            raw.put(at, TensorFileFormat.PLACEHOLDER.getBytes(StandardCharsets.US_ASCII));
            long header = TensorFileFormat.headerDigest(schemaDigest, i, batches.size(), raw);
            long recorded = Long.parseLong(value.substring(0, 8), 16);
            if (header != recorded) {
                throw new IpcMessages.Malformed("record batch " + i + ": header checksum " + String.format("%08x", header)
                        + " differs from the recorded " + value.substring(0, 8) + "; the schema or the batch header"
                        + " is damaged");
            }
            data[i] = Long.parseLong(value.substring(9), 16);
        }
        return data;
    }

    private Tensor load(FileChannel ch, long size, ColumnLayout l, List<IpcMessages.Batch> batches, long[] digests)
            throws IOException {
        DType dtype = l.dtype();
        boolean v1 = TensorFileFormat.VERSION_1.equals(l.version());
        boolean v2 = TensorFileFormat.VERSION.equals(l.version());
        long numel = l.tessera() ? Shape.of(l.shape()).numel() : -1;
        // version 2: rows of dim 0 (one row for a 0-d tensor, one per element for a flat column)
        long[] dims = l.shape();
        long tensorRows = !v2 ? -1 : dims.length == 0 ? 1 : l.list() ? dims[0] : numel;
        if (v1) {
            long expectedBatches = numel == 0 ? 0 : (numel - 1) / l.batch() + 1;
            if (batches.size() != expectedBatches || l.crcs().length != batches.size()) {
                throw new IpcMessages.Malformed("holds " + batches.size() + " record batches and " + l.crcs().length
                        + " checksums; shape " + Shape.of(l.shape()) + " in batches of " + l.batch() + " needs "
                        + expectedBatches + " (the file is truncated or damaged)");
            }
        }
        if (v2) {
            long expectedBatches = tensorRows == 0 ? 1 : (tensorRows - 1) / l.batch() + 1;
            if (batches.size() != expectedBatches) {
                throw new IpcMessages.Malformed("holds " + batches.size() + " record batches; shape "
                        + Shape.of(dims) + " in batches of " + l.batch() + " rows needs " + expectedBatches);
            }
        }
        long total = 0;
        long rows = 0;
        long[] elems = new long[batches.size()];
        for (int i = 0; i < batches.size(); i++) {
            IpcMessages.Batch b = batches.get(i);
            String where = "record batch " + i + ": ";
            if (b.compression() != null) {
                throw new IpcMessages.Malformed(where + "compressed record batches (" + b.compression() + ") are not"
                        + " supported; write the file without compression");
            }
            if (b.nodes().length < l.nodes() || b.buffers().length <= l.dataBuffer()) {
                throw new IpcMessages.Malformed(where + b.nodes().length + " field nodes and " + b.buffers().length
                        + " buffers do not describe the column");
            }
            if (b.length() < 0 || b.nodes()[0][0] != b.length()) {
                throw new IpcMessages.Malformed(where + "field node length " + b.nodes()[0][0]
                        + " differs from the batch length " + b.length());
            }
            long e = l.nodes() == 2 ? mul(b.length(), l.listSize(), where) : b.length();
            if (l.nodes() == 2 && b.nodes()[1][0] != e) {
                throw new IpcMessages.Malformed(where + "the values node holds " + b.nodes()[1][0] + " elements but "
                        + b.length() + " tensors of " + l.listSize() + " need " + e);
            }
            for (int k = 0; k < l.nodes(); k++) {
                if (b.nodes()[k][1] != 0) {
                    throw new IpcMessages.Malformed(where + "has " + b.nodes()[k][1] + " nulls; a tensor cannot hold"
                            + " nulls (read the column with ArrowFileReader and a fill value)");
                }
            }
            if (v1 && e != Math.min(l.batch(), numel - i * l.batch())) {
                throw new IpcMessages.Malformed(where + "holds " + e + " elements; the layout expects "
                        + Math.min(l.batch(), numel - i * l.batch()));
            }
            if (v2 && b.length() != Math.max(0, Math.min(l.batch(), tensorRows - i * l.batch()))) {
                throw new IpcMessages.Malformed(where + "holds " + b.length() + " rows; the layout expects "
                        + Math.max(0, Math.min(l.batch(), tensorRows - i * l.batch())));
            }
            long[] buf = b.buffers()[l.dataBuffer()];
            if (buf[0] < 0 || buf[1] < 0 || buf[0] > b.bodyLength() || buf[1] > b.bodyLength() - buf[0]) {
                throw new IpcMessages.Malformed(where + "data buffer (offset " + buf[0] + ", " + buf[1]
                        + " bytes) lies outside the " + b.bodyLength() + "-byte message body");
            }
            long need = ArrowLayouts.dataBytes(dtype, e);
            if (need < 0 || buf[1] < need) {
                throw new IpcMessages.Malformed(where + "data buffer holds " + buf[1] + " bytes but " + e + " " + dtype
                        + " values need " + need);
            }
            elems[i] = e;
            total = add(total, e);
            rows = add(rows, b.length());
        }
        long[] recorded = v1 ? l.crcs() : digests;
        long[] physical;
        if (l.tessera()) {
            if (total != numel) {
                throw new IpcMessages.Malformed("the record batches hold " + total + " elements but shape "
                        + Shape.of(l.shape()) + " needs " + numel);
            }
            physical = l.shape();
        } else if (l.valueShape() != null) {
            physical = new long[l.valueShape().length + 1];
            physical[0] = rows;
            System.arraycopy(l.valueShape(), 0, physical, 1, l.valueShape().length);
        } else {
            physical = new long[] {total};
        }
        long bytes = ArrowLayouts.dataBytes(dtype, total);
        if (bytes < 0 || bytes > size) {
            throw new IpcMessages.Malformed(total + " " + dtype + " values cannot come from a " + size + "-byte file");
        }
        Storage s = mapped(ch, l, batches, total, recorded);
        if (s == null) {
            s = copied(ch, l, batches, elems, total, recorded);
        }
        Shape shape = Shape.of(physical);
        Tensor t = Creation.fromStorage(s, shape, dtype, 0, shape.contiguousStrides());
        if (l.permutation() == null) {
            return t;
        }
        int[] full = new int[l.permutation().length + 1];
        for (int i = 0; i < l.permutation().length; i++) {
            full[i + 1] = l.permutation()[i] + 1;
        }
        return t.permute(full);
    }

    /**
     * The data mapped in place, its checksum verified, or null when this file or mode calls for a
     * copy: several batches, bool (bit-packed), no data, data not 64-byte aligned in the file (other
     * writers align to 8), more than one mapping holds, below {@link #MIN_MAPPED_BYTES} for
     * {@code AUTO}, or a mapping the system refuses.
     */
    private Storage mapped(FileChannel ch, ColumnLayout l, List<IpcMessages.Batch> batches, long total, long[] recorded)
            throws IOException {
        DType dtype = l.dtype();
        if (mode == LoadMode.COPY || batches.size() != 1 || dtype == DType.BOOL || total == 0) {
            return null;
        }
        long bytes = total * dtype.byteSize();
        IpcMessages.Batch b = batches.get(0);
        long pos = b.bodyStart() + b.buffers()[l.dataBuffer()][0];
        if (pos % Memory.ALIGNMENT != 0 || bytes > MappedFiles.MAX_BYTES
                || (mode == LoadMode.AUTO && bytes < MIN_MAPPED_BYTES)) {
            return null;
        }
        // up to the next 64-byte boundary when the file holds it, as an allocation would be
        long padded = Math.min((bytes + Memory.ALIGNMENT - 1) / Memory.ALIGNMENT * Memory.ALIGNMENT,
                Math.min(MappedFiles.MAX_BYTES, ch.size() - pos));
        Storage s;
        try {
            s = MappedFiles.map(ch, path, pos, bytes, Math.max(bytes, padded), "tensor file " + src);
        } catch (IOException | UnsupportedOperationException e) {
            // the system refused the mapping (address space, too many mappings) or the file system cannot map: copy
            return null;
        } catch (IllegalArgumentException e) {
            // the file shrank since its lengths were checked
            throw new IpcMessages.Malformed("the file changed while it was read: " + e.getMessage());
        }
        try {
            if (recorded != null) {
                long crc = crc(s, bytes);
                if (crc != recorded[0]) {
                    throw new IpcMessages.Malformed("record batch 0: data checksum " + Long.toHexString(crc)
                            + " differs from the recorded " + Long.toHexString(recorded[0])
                            + "; the data bytes are damaged");
                }
            }
            return s;
        } catch (RuntimeException | Error e) {
            s.release();
            throw e;
        }
    }

    /** The CRC-32C of the first {@code bytes} bytes of a storage, read in place. */
    private static long crc(Storage s, long bytes) {
        CRC32C crc = new CRC32C();
        ArrowBuf buf = s.arrowBufForReading();
        for (long done = 0; done < bytes; done += NIO_CHUNK) {
            crc.update(buf.nioBuffer(done, (int) Math.min(NIO_CHUNK, bytes - done)));
        }
        return crc.getValue();
    }

    /**
     * A new allocation holding the data of every batch, read straight into it, checksums verified.
     * Numeric data is read in pieces of up to {@link #PIECE_BYTES}, in parallel for a large tensor:
     * on a fresh allocation the page faults of first touch cost more than the copy from the page
     * cache, and they scale with cores; each piece's CRC-32C is joined into its batch's.
     */
    private Storage copied(FileChannel ch, ColumnLayout l, List<IpcMessages.Batch> batches, long[] elems, long total,
                           long[] recorded) throws IOException {
        DType dtype = l.dtype();
        int es = dtype.byteSize();
        Storage s = Storage.allocate(total * es, "tensor file " + src);
        try (BufferAllocator scratch = Memory.root().newChildAllocator("load " + src, 0, Long.MAX_VALUE)) {
            long[] starts = new long[batches.size()];
            for (int i = 1; i < starts.length; i++) {
                starts[i] = starts[i - 1] + elems[i - 1];
            }
            if (dtype == DType.BOOL) {
                for (int i = 0; i < batches.size(); i++) {
                    readBatch(ch, s, scratch, l, batches.get(i), i, starts[i], elems[i], recorded);
                }
                return s;
            }
            List<long[]> pieces = new ArrayList<>(); // {batch, byte offset in its data, bytes}
            for (int i = 0; i < batches.size(); i++) {
                long bytes = elems[i] * es;
                pieces.add(new long[] {i, 0, Math.min(PIECE_BYTES, bytes)});
                for (long off = PIECE_BYTES; off < bytes; off += PIECE_BYTES) {
                    pieces.add(new long[] {i, off, Math.min(PIECE_BYTES, bytes - off)});
                }
            }
            long[] crcs = new long[pieces.size()];
            ArrowBuf target = s.arrowBuf();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            IntStream indices = IntStream.range(0, pieces.size());
            if (pieces.size() > 1 && total * es >= PARALLEL_BYTES) {
                indices = indices.parallel();
            }
            indices.forEach(k -> {
                if (failure.get() != null) {
                    return;
                }
                long[] p = pieces.get(k);
                int i = (int) p[0];
                IpcMessages.Batch b = batches.get(i);
                long pos = b.bodyStart() + b.buffers()[l.dataBuffer()][0] + p[1];
                try {
                    crcs[k] = readInto(ch, target, starts[i] * es + p[1], p[2], pos, i);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Throwable e = failure.get();
            if (e instanceof IOException io) {
                throw io;
            } else if (e instanceof RuntimeException re) {
                throw re;
            } else if (e instanceof Error err) {
                throw err;
            }
            if (recorded != null) {
                long[] batchCrc = new long[batches.size()];
                boolean[] started = new boolean[batches.size()];
                for (int k = 0; k < pieces.size(); k++) {
                    int i = (int) pieces.get(k)[0];
                    batchCrc[i] = started[i] ? Crc32c.combine(batchCrc[i], crcs[k], pieces.get(k)[2]) : crcs[k];
                    started[i] = true;
                }
                for (int i = 0; i < batches.size(); i++) {
                    checkData(i, batchCrc[i], recorded);
                }
            }
        } catch (RuntimeException | IOException | Error e) {
            s.release();
            throw e;
        }
        return s;
    }

    private static void checkData(int i, long crc, long[] recorded) {
        if (recorded != null && crc != recorded[i]) {
            throw new IpcMessages.Malformed("record batch " + i + ": data checksum " + Long.toHexString(crc)
                    + " differs from the recorded " + Long.toHexString(recorded[i]) + "; the data bytes are damaged");
        }
    }

    /** Reads bool batch {@code i} (bit-packed) into the tensor at element {@code at} and checks its checksum. */
    private static void readBatch(FileChannel ch, Storage s, BufferAllocator scratch, ColumnLayout l,
                                  IpcMessages.Batch b, int i, long at, long n, long[] recorded) throws IOException {
        long pos = b.bodyStart() + b.buffers()[l.dataBuffer()][0];
        long packed = (n + 7) / 8;
        try (ArrowBuf bits = scratch.buffer(Math.max(8, packed))) {
            long crc = readInto(ch, bits, 0, packed, pos, i);
            Bits.unpack(bits.memoryAddress(), s.address() + at, n);
            checkData(i, crc, recorded);
        }
    }

    /** Reads {@code len} bytes at file position {@code pos} into {@code buf} at {@code off}; returns their CRC-32C. */
    private static long readInto(FileChannel ch, ArrowBuf buf, long off, long len, long pos, int batch)
            throws IOException {
        CRC32C crc = new CRC32C();
        for (long done = 0; done < len; done += NIO_CHUNK) {
            int n = (int) Math.min(NIO_CHUNK, len - done);
            ByteBuffer dst = buf.nioBuffer(off + done, n);
            while (dst.hasRemaining()) {
                if (ch.read(dst, pos + done + dst.position()) < 0) {
                    throw new IpcMessages.Malformed("record batch " + batch + ": the file ends inside its data");
                }
            }
            dst.flip();
            crc.update(dst);
        }
        return crc.getValue();
    }

    private static long mul(long a, long b, String where) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new IpcMessages.Malformed(where + a + " x " + b + " elements overflow");
        }
    }

    private static long add(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new IpcMessages.Malformed("the record batches hold more than 2^63-1 elements");
        }
    }
}

package org.tessera.arrow.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.TesseraMemoryException;
import org.tessera.arrow.FixedShapeTensorType;
import org.tessera.arrow.TesseraIOException;
import org.tessera.arrow.internal.ArrowLayouts;
import org.tessera.arrow.internal.Bits;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;

/**
 * Reads one tensor from an Arrow IPC file or stream, validating every length against the file
 * before using it. Reads Tessera's own files ({@link TensorFileFormat}, checksums verified) and
 * files from other Arrow libraries that hold a single column: a primitive column becomes a 1-D
 * tensor, a FixedSizeList or {@code arrow.fixed_shape_tensor} column a {@code [rows, ...]} tensor.
 *
 * <p>The tensor's memory is allocated once, after the metadata of every batch has been checked,
 * and numeric data is read from the file straight into it; the only other buffers are the
 * metadata of one message at a time (and, for bool, one batch's packed bits).
 */
public final class TensorFileReader {
    private static final int NIO_CHUNK = 1 << 30;
    /** Tensors from this size on are read with several threads. */
    private static final long PARALLEL_BYTES = 32L << 20;

    private final Path path;
    private final String src;

    private TensorFileReader(Path path) {
        this.path = path;
        this.src = path.toString();
    }

    /** Reads the tensor in {@code path}; every failure is a {@link TesseraIOException} naming the file. */
    public static Tensor read(Path path) {
        return new TensorFileReader(path).read();
    }

    /** What the schema says about the column. */
    private record Layout(DType dtype, long listSize, long[] valueShape, int[] permutation, int nodes, int dataBuffer,
                          long[] shape, long batch, long[] crcs) {
        boolean tessera() {
            return shape != null;
        }
    }

    private Tensor read() {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            IpcMessages io = new IpcMessages(ch, size);
            boolean fileFormat = size >= 8 && startsWithMagic(io.read(0, 8));
            Schema schema;
            List<IpcMessages.Batch> batches = new ArrayList<>();
            if (fileFormat) {
                IpcMessages.FooterInfo footer = io.footer();
                if (footer.dictionaries() != 0) {
                    throw new IpcMessages.Malformed("the footer lists dictionary batches: dictionary-encoded columns"
                            + " are not supported");
                }
                schema = footer.schema();
                IpcMessages.Framed first = io.frame(8, footer.footerStart());
                Schema leading = first == null ? null : IpcMessages.schema(first.message(), 8);
                if (isTessera(schema) || (leading != null && isTessera(leading))) {
                    if (!schema.equals(leading)) {
                        throw new IpcMessages.Malformed("the schema in the footer differs from the schema message at"
                                + " the start of the file; one of them is damaged");
                    }
                }
                for (int i = 0; i < footer.blocks().size(); i++) {
                    long[] b = footer.blocks().get(i);
                    IpcMessages.Framed f = io.frame(b[0], b[0] + b[1]);
                    if (f == null || f.bodyStart() > b[0] + b[1] || f.end() - f.bodyStart() != b[2]) {
                        throw new IpcMessages.Malformed("footer block " + i + " (offset " + b[0] + ") does not match the"
                                + " message stored there");
                    }
                    batches.add(IpcMessages.batch(f, b[0]));
                }
            } else {
                IpcMessages.Framed f = io.frame(0, size);
                if (f == null) {
                    throw new IpcMessages.Malformed("empty stream: no schema message");
                }
                schema = IpcMessages.schema(f.message(), 0);
                long pos = f.end();
                while ((f = io.frame(pos, size)) != null) {
                    batches.add(IpcMessages.batch(f, pos));
                    pos = f.end();
                }
            }
            Layout layout = layout(schema);
            return load(ch, size, layout, batches);
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

    /** Whether the schema or its field carries any Tessera key. */
    private static boolean isTessera(Schema schema) {
        if (hasTesseraKey(schema.getCustomMetadata())) {
            return true;
        }
        return schema.getFields().stream().anyMatch(f -> hasTesseraKey(f.getMetadata())
                || TensorFileFormat.FIELD.equals(f.getName()));
    }

    private static boolean hasTesseraKey(Map<String, String> md) {
        return md != null && md.keySet().stream().anyMatch(k -> k.startsWith(TensorFileFormat.PREFIX));
    }

    private static boolean startsWithMagic(ByteBuffer head) {
        for (int i = 0; i < TensorFileFormat.MAGIC.length; i++) {
            if (head.get(i) != TensorFileFormat.MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private Layout layout(Schema schema) {
        List<Field> fields = schema.getFields();
        if (fields.size() != 1) {
            throw new IpcMessages.Malformed("holds " + fields.size() + " columns " + fields.stream().map(Field::getName)
                    .toList() + "; a tensor file holds exactly one (read tables with ArrowFileReader and"
                    + " ArrowTables or TensorColumns)");
        }
        Field f = fields.get(0);
        ArrowType type = f.getType();
        DType dtype;
        long listSize = 1;
        long[] valueShape = null;
        int[] perm = null;
        boolean list = type instanceof FixedShapeTensorType || type instanceof ArrowType.FixedSizeList;
        if (list) {
            FixedShapeTensorType t = FixedShapeTensorType.of(f);
            if (f.getChildren().size() != 1) {
                throw new IpcMessages.Malformed("column '" + f.getName() + "' is a FixedSizeList with "
                        + f.getChildren().size() + " children; expected 1");
            }
            dtype = ArrowLayouts.dtypeOf(f.getChildren().get(0).getType());
            if (dtype == null) {
                throw new IpcMessages.Malformed("column '" + f.getName() + "' has unsupported element type "
                        + f.getChildren().get(0).getType() + "; supported: " + ArrowLayouts.SUPPORTED);
            }
            listSize = t.listSize();
            valueShape = t.shape();
            perm = t.permutation();
        } else {
            dtype = ArrowLayouts.dtypeOf(type);
            if (dtype == null) {
                throw new IpcMessages.Malformed("column '" + f.getName() + "' has unsupported Arrow type " + type
                        + "; supported: " + ArrowLayouts.SUPPORTED);
            }
        }
        Map<String, String> md = schema.getCustomMetadata();
        if (!isTessera(schema)) {
            return new Layout(dtype, listSize, valueShape, perm, list ? 2 : 1, list ? 2 : 1, null, 0, null);
        }
        String version = md.get(TensorFileFormat.KEY_FORMAT);
        if (version == null) {
            throw new IpcMessages.Malformed("the schema has Tessera metadata but no " + TensorFileFormat.KEY_FORMAT
                    + " entry; the metadata is damaged");
        }
        if (!version.equals(TensorFileFormat.VERSION)) {
            throw new IpcMessages.Malformed("tensor file format version " + TensorFileFormat.abbreviate(version)
                    + "; this Tessera reads version " + TensorFileFormat.VERSION);
        }
        if (list) {
            throw new IpcMessages.Malformed("a Tessera tensor file holds a flat column, found " + type);
        }
        String d = md.getOrDefault(TensorFileFormat.KEY_DTYPE, "");
        if (!d.equals(dtype.toString())) {
            throw new IpcMessages.Malformed("metadata dtype " + TensorFileFormat.abbreviate(d)
                    + " does not match the column type " + type + " (" + dtype + ")");
        }
        String check = md.getOrDefault(TensorFileFormat.KEY_CHECK, "");
        if (!check.equals(Long.toHexString(TensorFileFormat.check(md)))) {
            throw new IpcMessages.Malformed("the Tessera metadata fails its checksum (" + TensorFileFormat.KEY_CHECK
                    + " " + TensorFileFormat.abbreviate(check) + "); the dtype, shape or batch checksums are damaged");
        }
        long[] shape;
        long batch;
        long[] crcs;
        try {
            shape = TensorFileFormat.parseShape(md.getOrDefault(TensorFileFormat.KEY_SHAPE, "missing"));
            long n = 1;
            for (long x : shape) {
                n = Math.multiplyExact(n, x);
            }
            batch = Long.parseLong(md.getOrDefault(TensorFileFormat.KEY_BATCH, "missing"));
            crcs = TensorFileFormat.parseCrcs(md.getOrDefault(TensorFileFormat.KEY_CRC, ""));
        } catch (ArithmeticException e) {
            throw new IpcMessages.Malformed("metadata shape " + md.get(TensorFileFormat.KEY_SHAPE)
                    + " has more than 2^63-1 elements");
        } catch (IllegalArgumentException e) {
            throw new IpcMessages.Malformed("metadata: " + e.getMessage());
        }
        if (batch <= 0) {
            throw new IpcMessages.Malformed("metadata batch size " + batch + " is not positive");
        }
        return new Layout(dtype, 1, null, null, 1, 1, shape, batch, crcs);
    }

    private Tensor load(FileChannel ch, long size, Layout l, List<IpcMessages.Batch> batches) throws IOException {
        DType dtype = l.dtype();
        long numel = l.tessera() ? Shape.of(l.shape()).numel() : -1;
        if (l.tessera()) {
            long expectedBatches = numel == 0 ? 0 : (numel - 1) / l.batch() + 1;
            if (batches.size() != expectedBatches || l.crcs().length != batches.size()) {
                throw new IpcMessages.Malformed("holds " + batches.size() + " record batches and " + l.crcs().length
                        + " checksums; shape " + Shape.of(l.shape()) + " in batches of " + l.batch() + " needs "
                        + expectedBatches + " (the file is truncated or damaged)");
            }
        }
        long total = 0;
        long rows = 0;
        long[] elems = new long[batches.size()];
        for (int i = 0; i < batches.size(); i++) {
            IpcMessages.Batch b = batches.get(i);
            String where = "record batch " + i + ": ";
            if (b.compressed()) {
                throw new IpcMessages.Malformed(where + "compressed record batches are not supported");
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
            if (l.tessera() && e != Math.min(l.batch(), numel - i * l.batch())) {
                throw new IpcMessages.Malformed(where + "holds " + e + " elements; the layout expects "
                        + Math.min(l.batch(), numel - i * l.batch()));
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
        Storage s = Storage.allocate(total * dtype.byteSize(), "tensor file " + src);
        try (BufferAllocator scratch = Memory.root().newChildAllocator("load " + src, 0, Long.MAX_VALUE)) {
            long[] starts = new long[batches.size()];
            for (int i = 1; i < starts.length; i++) {
                starts[i] = starts[i - 1] + elems[i - 1];
            }
            // batches go to disjoint parts of the tensor, so they are read in parallel: on a fresh allocation
            // the page faults of first touch cost more than the copy from the page cache, and they scale with cores
            AtomicReference<Throwable> failure = new AtomicReference<>();
            IntStream indices = IntStream.range(0, batches.size());
            if (dtype != DType.BOOL && batches.size() > 1 && total * dtype.byteSize() >= PARALLEL_BYTES) {
                indices = indices.parallel();
            }
            indices.forEach(i -> {
                if (failure.get() != null) {
                    return;
                }
                try {
                    readBatch(ch, s, scratch, l, batches.get(i), i, starts[i], elems[i]);
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
        } catch (RuntimeException | IOException | Error e) {
            s.release();
            throw e;
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

    /** Reads batch {@code i} into the tensor at element {@code at} and checks its checksum. */
    private static void readBatch(FileChannel ch, Storage s, BufferAllocator scratch, Layout l, IpcMessages.Batch b,
                                  int i, long at, long n) throws IOException {
        DType dtype = l.dtype();
        long pos = b.bodyStart() + b.buffers()[l.dataBuffer()][0];
        long crc;
        if (dtype != DType.BOOL) {
            crc = readInto(ch, s.arrowBuf(), at * dtype.byteSize(), n * dtype.byteSize(), pos, i);
        } else {
            long packed = (n + 7) / 8;
            try (ArrowBuf bits = scratch.buffer(Math.max(8, packed))) {
                crc = readInto(ch, bits, 0, packed, pos, i);
                Bits.unpack(bits.memoryAddress(), s.address() + at, n);
            }
        }
        if (l.tessera() && crc != l.crcs()[i]) {
            throw new IpcMessages.Malformed("record batch " + i + ": checksum " + Long.toHexString(crc)
                    + " differs from the recorded " + Long.toHexString(l.crcs()[i]) + "; the data bytes are damaged");
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

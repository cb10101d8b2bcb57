package org.tessera.arrow;

import java.nio.file.Path;
import org.tessera.Tensor;
import org.tessera.arrow.ipc.TensorFileFormat;
import org.tessera.arrow.ipc.TensorFileReader;
import org.tessera.arrow.ipc.TensorFileWriter;
import org.tessera.memory.Storage;

/**
 * Saves tensors to, and loads them from, Arrow IPC files and streams.
 *
 * <pre>{@code
 * TensorFiles.save(Tessera.randn(1000, 64), Path.of("w.arrow"));
 * Tensor w = TensorFiles.load(Path.of("w.arrow"));      // shape [1000, 64], float32
 * }</pre>
 *
 * <p>A file holds one tensor in one column: a 0-d or 1-D tensor as a flat column of its elements,
 * a tensor of rank 2 or more as an {@code arrow.fixed_shape_tensor} column of the rows of its dim
 * 0, so that any Arrow library reads it with its shape. A tensor of up to
 * {@link #DEFAULT_BATCH_BYTES} (2 GiB less 64 bytes) is one record batch, a larger one is split
 * into batches of that size (or of the size passed to {@code save}). The dtype and shape are also
 * in the schema metadata (keys {@code tessera.*}), and every record batch carries a CRC-32C of its
 * data and one of the schema and its own header (layout in {@code TensorFileFormat}). Saving
 * streams the tensor's own memory to the file with no copy in Java, each batch's data at a
 * 64-byte boundary of the file.
 *
 * <p>Loading maps the file (read-only) and uses its data in place when the tensor is one batch
 * of a numeric dtype at a 64-byte boundary ({@link LoadMode}): no allocation and no copy, the
 * data checksum verified on the mapped bytes before the tensor is returned; the mapping lives as
 * long as the tensor or any export of its memory. Otherwise (several batches, bool, files of other
 * writers whose data is not aligned, {@link LoadMode#COPY}) it allocates the tensor once and reads
 * each batch straight into it, so a large tensor is never held twice. While a tensor maps a file,
 * the file must not be truncated or rewritten in place (deleting it, or replacing it by a rename as
 * {@code save} does, is harmless): reading a page that is no longer in the file raises
 * {@code SIGBUS}, which can stop the JVM. Load with {@link LoadMode#COPY} when the file may change.
 *
 * <p>{@link #load} also reads single-column files written by other Arrow libraries: a numeric or
 * boolean column becomes a 1-D tensor, and an {@code arrow.fixed_shape_tensor} (or plain
 * FixedSizeList) column a tensor of shape {@code [rows, value shape...]}; it names what it does
 * not support (compression, dictionaries, nulls, big-endian data). Damaged input (truncation,
 * flipped bits, forged lengths, malformed metadata) fails with a {@link TesseraIOException}
 * naming the file and the problem; it never yields a wrong tensor for a Tessera file, whose
 * schema, headers and data are checksummed.
 *
 * <p>Saving does not force the data to the storage device ({@code fsync}); the file appears under
 * its name only once fully written.
 */
public final class TensorFiles {
    /**
     * Default size of one record batch: 2 GiB less 64 bytes, the most that one mapping holds, so
     * that every tensor that can be loaded by mapping is saved as one batch.
     */
    public static final long DEFAULT_BATCH_BYTES = TensorFileFormat.DEFAULT_BATCH_BYTES;

    /** The least data that {@link LoadMode#AUTO} maps: 1 MiB; smaller tensors are copied. */
    public static final long MIN_MAPPED_BYTES = TensorFileReader.MIN_MAPPED_BYTES;

    static {
        FixedShapeTensorType.register();
    }

    private TensorFiles() {
    }

    /** Saves {@code tensor} to {@code path} in the IPC file format. */
    public static void save(Tensor tensor, Path path) {
        save(tensor, path, IpcFormat.FILE, DEFAULT_BATCH_BYTES);
    }

    /** Saves {@code tensor} to {@code path} in {@code format}. */
    public static void save(Tensor tensor, Path path, IpcFormat format) {
        save(tensor, path, format, DEFAULT_BATCH_BYTES);
    }

    /**
     * Saves {@code tensor} in {@code format} with record batches of about {@code batchBytes}
     * bytes; tensors on other devices are copied to the CPU first, strided ones made contiguous. A
     * tensor saved in several batches is not contiguous in the file and loads by copying; the
     * default, {@link #DEFAULT_BATCH_BYTES}, keeps every tensor that one mapping can hold in one batch.
     *
     * @throws TesseraIOException if the file cannot be written
     */
    public static void save(Tensor tensor, Path path, IpcFormat format, long batchBytes) {
        TensorFileWriter.write(tensor, path, format, batchBytes);
    }

    /**
     * Loads the tensor saved in {@code path}, detecting the IPC file or stream format, mapping the
     * file when it can ({@link LoadMode#AUTO}); the tensor belongs to the innermost open scope, as a
     * freshly created one would.
     *
     * @throws TesseraIOException if the file is missing, damaged, or holds no tensor Tessera can read
     */
    public static Tensor load(Path path) {
        return load(path, LoadMode.AUTO);
    }

    /**
     * Loads the tensor saved in {@code path} as {@code mode} says: mapped in place when the file
     * allows it (and, for {@code AUTO}, when it holds at least {@link #MIN_MAPPED_BYTES} of data), or
     * copied into memory of its own. Either way the tensor is the same, bit for bit, and checked
     * alike; a mapped one is read-only ({@link #isMapped}).
     *
     * <pre>{@code
     * Tensor w = TensorFiles.load(Path.of("w.arrow"), LoadMode.COPY); // the file may change afterwards
     * }</pre>
     *
     * @throws TesseraIOException if the file is missing, damaged, or holds no tensor Tessera can read
     */
    public static Tensor load(Path path, LoadMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("load: the load mode is null; expected AUTO, MAP or COPY");
        }
        return TensorFileReader.read(path, mode);
    }

    /**
     * Whether {@code tensor}'s memory is a file mapping (from {@link #load}), and so read-only; a
     * tensor that is not realized yet is not.
     */
    public static boolean isMapped(Tensor tensor) {
        Storage s = tensor.node().storage();
        return s != null && s.isReadOnly();
    }
}

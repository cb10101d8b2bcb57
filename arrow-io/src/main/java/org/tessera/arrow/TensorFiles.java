package org.tessera.arrow;

import java.nio.file.Path;
import org.tessera.Tensor;
import org.tessera.arrow.ipc.TensorFileFormat;
import org.tessera.arrow.ipc.TensorFileReader;
import org.tessera.arrow.ipc.TensorFileWriter;

/**
 * Saves tensors to, and loads them from, Arrow IPC files and streams.
 *
 * <pre>{@code
 * TensorFiles.save(Tessera.randn(1000, 64), Path.of("w.arrow"));
 * Tensor w = TensorFiles.load(Path.of("w.arrow"));      // shape [1000, 64], float32
 * }</pre>
 *
 * <p>A file holds one tensor in one column, split into record batches of about 64 MiB: a 0-d or
 * 1-D tensor as a flat column of its elements, a tensor of rank 2 or more as an
 * {@code arrow.fixed_shape_tensor} column of the rows of its dim 0, so that any Arrow library
 * reads it with its shape. The dtype and shape are also in the schema metadata (keys
 * {@code tessera.*}), and every record batch carries a CRC-32C of its data and one of the schema
 * and its own header (layout in {@code TensorFileFormat}). Saving streams the tensor's own memory
 * to the file, batch by batch, with no copy in Java; loading allocates the tensor once and reads
 * each batch straight into it, so a large tensor is never held twice.
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
    /** Default size of one record batch: 64 MiB. */
    public static final long DEFAULT_BATCH_BYTES = TensorFileFormat.DEFAULT_BATCH_BYTES;

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
     * bytes; tensors on other devices are copied to the CPU first, strided ones made contiguous.
     *
     * @throws TesseraIOException if the file cannot be written
     */
    public static void save(Tensor tensor, Path path, IpcFormat format, long batchBytes) {
        TensorFileWriter.write(tensor, path, format, batchBytes);
    }

    /**
     * Loads the tensor saved in {@code path}, detecting the IPC file or stream format; the tensor
     * belongs to the innermost open scope, as a freshly created one would.
     *
     * @throws TesseraIOException if the file is missing, damaged, or holds no tensor Tessera can read
     */
    public static Tensor load(Path path) {
        return TensorFileReader.read(path);
    }
}

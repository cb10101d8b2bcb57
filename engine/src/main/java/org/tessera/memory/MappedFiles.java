package org.tessera.memory;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.util.MemoryUtil;
import org.tessera.TesseraMemoryException;

/**
 * Read-only memory mappings of file regions used in place as tensor storage.
 *
 * <p>A mapping is an Arrow foreign allocation of the root allocator, so it is reference counted
 * like any tensor buffer: the storage holds one reference, and so does every export of it (a
 * {@code ByteBuffer} view, an Arrow buffer given to a vector). The region is unmapped when the
 * last reference is closed, at once (through the mapped buffer's own cleaner), never earlier:
 * reading unmapped memory would crash the JVM. Its bytes count against the allocator's limit like
 * allocated memory. The storage is {@linkplain Storage#isReadOnly() read-only}: nothing in the
 * engine writes into it, and its exports are read-only or copies.
 *
 * <p>The file must not shrink while it is mapped: reading a page past the end of a truncated file
 * raises {@code SIGBUS}, which the JVM reports as an {@link InternalError} at best. The size is
 * checked just before mapping; deleting or renaming the file afterwards is harmless (the mapping
 * keeps the data), truncating or rewriting it in place by another process is not. Native code
 * (BLAS, a copy to a GPU) would stop the JVM on such a page, so before handing a mapped storage to
 * it the engine calls {@link Storage#checkMapped}, which fails when the file it was mapped from
 * (the same file, by its file key) is now shorter than the mapping.
 */
public final class MappedFiles {
    /** The most bytes one mapping holds (what one {@code MappedByteBuffer} can address). */
    public static final long MAX_BYTES = Integer.MAX_VALUE;

    private MappedFiles() {
    }

    /** A mapped region; releasing the last Arrow reference unmaps it. */
    private static final class Mapping extends ForeignAllocation {
        private MappedByteBuffer buffer;

        Mapping(MappedByteBuffer buffer) {
            super(buffer.capacity(), MemoryUtil.getByteBufferAddress(buffer));
            this.buffer = buffer;
        }

        @Override
        protected void release0() {
            MappedByteBuffer b = buffer;
            buffer = null;
            if (b != null) {
                // every reader held a reference, and the last one is gone: unmap now rather than at some GC
                Memory.UNSAFE.invokeCleaner(b);
            }
        }
    }

    /**
     * Maps {@code bytes} bytes of {@code channel} from {@code position}, read-only, as a storage of
     * the innermost open scope (or unscoped, freed when unreachable). {@code mappedBytes} bytes are
     * mapped ({@code bytes} or more, for instance up to the next 64-byte boundary when the file
     * holds them), so that code reading whole 64-byte blocks stays inside the mapping.
     *
     * @throws IllegalArgumentException if the region is empty, too large for one mapping, not
     *     64-byte aligned in the file, or not inside the file (its current size)
     * @throws IOException if the system refuses the mapping (for instance too many mappings)
     * @throws TesseraMemoryException if the mapping would exceed the allocator limit
     */
    public static Storage map(FileChannel channel, long position, long bytes, long mappedBytes, String what)
            throws IOException {
        return map(channel, null, position, bytes, mappedBytes, what);
    }

    /**
     * As {@link #map(FileChannel, long, long, long, String)}, for the file at {@code file} (the one
     * {@code channel} reads): the storage then remembers it, so that {@link Storage#checkMapped}
     * can tell whether it was truncated since.
     */
    public static Storage map(FileChannel channel, Path file, long position, long bytes, long mappedBytes,
            String what) throws IOException {
        if (bytes <= 0 || mappedBytes < bytes || mappedBytes > MAX_BYTES) {
            throw new IllegalArgumentException("map " + what + ": " + bytes + " bytes (" + mappedBytes
                    + " mapped); expected 1 to " + MAX_BYTES + " bytes with at least as many mapped");
        }
        if (position < 0 || position % Memory.ALIGNMENT != 0) {
            throw new IllegalArgumentException("map " + what + ": file offset " + position + " is not a multiple of "
                    + Memory.ALIGNMENT + "; tensor memory must be " + Memory.ALIGNMENT + "-byte aligned");
        }
        long size = channel.size(); // just before mapping: a page past the end of the file would raise SIGBUS
        if (position > size - mappedBytes) {
            throw new IllegalArgumentException("map " + what + ": bytes [" + position + ", " + (position + mappedBytes)
                    + ") lie outside the " + size + "-byte file");
        }
        MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, position, mappedBytes);
        Mapping mapping = new Mapping(mapped);
        ArrowBuf arrow;
        try {
            arrow = Memory.root().wrapForeignAllocation(mapping);
        } catch (OutOfMemoryException e) {
            mapping.release0();
            throw new TesseraMemoryException("map " + what + ": mapping " + mappedBytes + " bytes would exceed the"
                    + " allocator limit of " + Memory.limit() + " bytes (" + Memory.allocatedBytes() + " in use);"
                    + " release tensors (close a scope) or raise tessera.memory.limit", e);
        } catch (RuntimeException | Error e) {
            mapping.release0();
            throw e;
        }
        try {
            Storage s = Storage.wrapReadOnly(arrow, bytes, what);
            if (file != null) {
                s.mappedFrom(new Source(file, fileKey(file), position + mappedBytes));
            }
            return s;
        } finally {
            arrow.close(); // the storage holds its own reference
        }
    }

    /** Where a mapping's bytes come from: the file (its path and key at mapping time) and where they end in it. */
    record Source(Path file, Object key, long end) {
        /**
         * Throws when the file is now shorter than the mapping. A file that is gone, or whose path
         * now names another file (replaced by a rename), leaves the mapped one as it was: nothing to check.
         */
        void check(String op, String what) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(file, BasicFileAttributes.class);
            } catch (IOException e) {
                return;
            }
            if (key != null && !key.equals(a.fileKey())) {
                return;
            }
            if (a.size() < end) {
                throw new IllegalStateException(op + ": the memory of " + what + " can no longer be read: the file"
                        + " was truncated after it was loaded (it holds " + a.size() + " bytes, the mapped data ends"
                        + " at byte " + end + "); load it again, or load it with LoadMode.COPY to keep a private copy");
            }
        }
    }

    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }
}

package org.tessera.arrow;

/**
 * How {@link TensorFiles#load(java.nio.file.Path, LoadMode)} puts a file's data into the tensor.
 *
 * <p>A mapped tensor reads the file's pages in place (no copy, no allocation; the operating
 * system's page cache holds the data) and keeps the mapping for as long as the tensor or anything
 * made from its memory lives. Its memory is read-only: {@code Tensor.set} throws, {@code asByteBuffer}
 * is a read-only buffer, and Arrow vectors made from it get a copy. A file can be mapped when its
 * tensor is one record batch (Tessera writes tensors of up to 2 GiB so), of a numeric dtype, whose
 * data starts at a multiple of 64 bytes in the file (Tessera's writer aligns it; other writers may
 * not); other files are copied whatever the mode.
 */
public enum LoadMode {
    /**
     * Maps the file when it can be mapped and its data is at least
     * {@link TensorFiles#MIN_MAPPED_BYTES} (a mapping costs a system call and a slot in the
     * process's limited table of mappings, more than copying a small tensor); copies otherwise.
     * The default.
     */
    AUTO,
    /** Maps the file whenever it can be mapped, whatever its size; copies otherwise. */
    MAP,
    /**
     * Copies the data into memory of the tensor's own; the file is closed when {@code load}
     * returns and may then be changed, truncated or removed with no effect on the tensor.
     */
    COPY
}

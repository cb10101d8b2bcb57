package org.tessera.arrow;

/**
 * Raised when Arrow data cannot become a tensor (or a tensor cannot be written as Arrow data).
 *
 * <p>The message starts with the {@linkplain #source() source}, the file path or a description
 * such as {@code Arrow vector 'x'}, then says what was wrong and, where it helps, what to do:
 * {@code /data/w.arrow: record batch 3: data buffer holds 40 bytes but 16 float32 values need 64}.
 * Truncated, corrupted or forged files, malformed extension metadata, unsupported Arrow types,
 * nulls without a fill value and shapes that do not match their buffers all end here.
 *
 * <p>The exception is unchecked, like the engine's other exceptions, so that loading composes
 * with lambdas and streams; an underlying {@link java.io.IOException} is kept as the cause.
 */
public class TesseraIOException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String source;

    /** A failure reading or writing {@code source}, described by {@code problem}. */
    public TesseraIOException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    /** A failure with the lower-level exception that revealed it. */
    public TesseraIOException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
    }

    /** The file path or in-memory object that could not be converted. */
    public String source() {
        return source;
    }
}

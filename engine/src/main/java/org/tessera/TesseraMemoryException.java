package org.tessera;

/**
 * Raised when a tensor buffer cannot be allocated within the configured memory limit.
 *
 * <p>The message names the limit, the bytes in use and what was being allocated.
 */
public class TesseraMemoryException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** An allocation failure with its explanation and the allocator's own exception. */
    public TesseraMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}

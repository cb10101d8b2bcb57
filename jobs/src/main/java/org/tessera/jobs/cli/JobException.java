package org.tessera.jobs.cli;

/**
 * A failure caused by the job's input or options (a missing file, an unknown column), reported
 * to the user as one line without a stack trace.
 */
public final class JobException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A failure with a message that says what was wrong and how to fix it. */
    public JobException(String message) {
        super(message);
    }
}

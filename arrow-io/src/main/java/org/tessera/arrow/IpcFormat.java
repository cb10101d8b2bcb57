package org.tessera.arrow;

/** The two Arrow IPC layouts that {@link TensorFiles} writes; both are read back automatically. */
public enum IpcFormat {
    /**
     * The random-access file format ({@code .arrow}, "Feather v2"): magic bytes, the messages,
     * and a footer that indexes the record batches.
     */
    FILE,
    /** The streaming format ({@code .arrows}): the messages followed by an end-of-stream marker. */
    STREAM
}

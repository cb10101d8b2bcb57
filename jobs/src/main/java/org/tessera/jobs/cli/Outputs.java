package org.tessera.jobs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks an output folder before a job does any work, so that a bad {@code --out} fails at once. */
public final class Outputs {
    private Outputs() {
    }

    /**
     * Fails with a one-line message unless {@code out} is a folder that can be written, or can be
     * created: the nearest existing folder on its path is probed with a temporary file (removed at
     * once), so a read-only file system or a missing permission shows up too. Nothing is left behind.
     */
    public static void requireWritable(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new JobException("--out " + out + ": no part of this path exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new JobException("--out " + out + ": " + existing + " is a file, not a folder");
        }
        try {
            Path probe = Files.createTempFile(existing, ".tessera-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new JobException("--out " + out + ": cannot write in " + existing + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")");
        }
    }
}

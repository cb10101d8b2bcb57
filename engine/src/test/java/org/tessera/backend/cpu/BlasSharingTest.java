package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Once the engine has loaded its OpenBLAS, netlib's BLAS (Spark MLlib's) is pointed at the same
 * library file, so that a system OpenBLAS loaded by netlib cannot mix its symbols with it.
 */
class BlasSharingTest {
    @Test
    void netlibUsesTheEnginesOpenBlas() {
        String lib = Blas.library();
        assertNotNull(lib, "the loaded libopenblas_nolapack is found in /proc/self/maps");
        assertTrue(Files.isRegularFile(Path.of(lib)), lib);
        assertEquals(lib, System.getProperty("dev.ludovic.netlib.blas.nativeLibPath"));
        assertEquals("no-native-lapack", System.getProperty("dev.ludovic.netlib.lapack.nativeLib"));
    }
}

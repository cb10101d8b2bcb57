package org.tessera.backend.cuda;

import org.junit.jupiter.api.Assumptions;
import org.tessera.Tessera;

/** Skips GPU tests, with the reason, where CUDA cannot be used. */
final class CudaTestSupport {
    private CudaTestSupport() {
    }

    static void assumeCuda() {
        Assumptions.assumeTrue(Tessera.isCudaAvailable(), () -> "CUDA is not usable here: " + Cuda.unavailableReason());
    }
}

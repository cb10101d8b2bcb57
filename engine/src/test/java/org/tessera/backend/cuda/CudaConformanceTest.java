package org.tessera.backend.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.tessera.Device;
import org.tessera.backend.DeviceConformanceSuite;

/** The device conformance suite on cuda:0; skipped, with the reason, where CUDA is unusable. */
@Tag("gpu")
class CudaConformanceTest extends DeviceConformanceSuite {
    @BeforeEach
    void needsCuda() {
        CudaTestSupport.assumeCuda();
    }

    @Override
    protected Device device() {
        return Device.cuda(0);
    }
}

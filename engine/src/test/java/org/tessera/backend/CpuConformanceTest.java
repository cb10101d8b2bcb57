package org.tessera.backend;

import org.tessera.Device;

/** The device conformance suite on the CPU backend. */
class CpuConformanceTest extends DeviceConformanceSuite {
    @Override
    protected Device device() {
        return Device.CPU;
    }
}

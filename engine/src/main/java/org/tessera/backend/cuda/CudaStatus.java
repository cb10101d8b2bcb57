package org.tessera.backend.cuda;

/**
 * What the probe of the CUDA driver found: the devices, or the reason none can be used.
 *
 * @param deviceCount the number of CUDA devices (0 when unusable)
 * @param driverVersion the driver's CUDA version as {@code 1000 * major + 10 * minor}, or 0
 * @param reason a sentence naming why CUDA cannot be used, or null when it can
 */
record CudaStatus(int deviceCount, int driverVersion, String reason) {
    static CudaStatus unusable(String reason) {
        return new CudaStatus(0, 0, reason);
    }

    boolean usable() {
        return reason == null && deviceCount > 0;
    }
}

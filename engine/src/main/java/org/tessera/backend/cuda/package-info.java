/**
 * The CUDA backend: device discovery, a device memory pool, host-device copies from and to the
 * off-heap buffers, and kernels for every primitive, on the JCuda driver API (only
 * {@code libcuda.so.1} is needed; cuBLAS is used when {@code libcublas.so.12} loads). The
 * kernels are CUDA C in {@code src/main/cuda}, shipped as PTX. Without a driver or device the
 * backend loads, reports itself unavailable and says why.
 */
package org.tessera.backend.cuda;

package org.tessera.backend.cuda;

import java.util.Locale;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Finds out, once and without throwing, whether CUDA can be used: the platform has JCuda
 * natives, the driver library loads, {@code cuInit} succeeds and there is a device.
 *
 * <p>Every JCuda class is touched only after the checks that can be made without it, and
 * linkage errors from loading the natives are turned into a reason, so that a machine with no
 * driver (or an unsupported platform) loads the backend and answers "not available".
 */
final class CudaProbe {
    /** System property that turns the backend off even where a GPU exists. */
    static final String DISABLE_PROPERTY = org.tessera.EngineProperty.CUDA_DISABLE.key();

    private CudaProbe() {
    }

    static CudaStatus probe() {
        if (org.tessera.EngineProperty.CUDA_DISABLE.isTrue()) {
            return CudaStatus.unusable("CUDA is disabled by -D" + DISABLE_PROPERTY + "=true");
        }
        String platform = platform();
        if (platform == null) {
            return CudaStatus.unusable("JCuda natives are missing for this platform (" + System.getProperty("os.name")
                    + ", " + System.getProperty("os.arch") + "); JCuda 12.6.0 ships them for linux-x86_64 and"
                    + " windows-x86_64");
        }
        try {
            Class.forName("jcuda.driver.JCudaDriver", false, CudaProbe.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return CudaStatus.unusable("the JCuda classes (org.jcuda:jcuda) are not on the class path");
        }
        try {
            return initDriver();
        } catch (LinkageError e) {
            return CudaStatus.unusable(explainLinkError(e, platform));
        } catch (RuntimeException e) {
            return CudaStatus.unusable("loading the JCuda driver bindings failed: " + e);
        }
    }

    /** {@code linux-x86_64} or {@code windows-x86_64}, or null on a platform without natives. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        if (!x64) {
            return null;
        }
        if (os.startsWith("linux")) {
            return "linux-x86_64";
        }
        return os.startsWith("windows") ? "windows-x86_64" : null;
    }

    static String explainLinkError(Throwable e, String platform) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(' ');
            for (Throwable s : t.getSuppressed()) {
                all.append(s.getMessage()).append(' ');
            }
        }
        String text = all.toString();
        if (text.contains("libcuda.so") || text.contains("nvcuda.dll")) {
            return (platform.startsWith("windows") ? "nvcuda.dll" : "libcuda.so.1")
                    + " not found: no NVIDIA driver is installed or it is not on the library path";
        }
        if (text.contains("JCudaDriver")) {
            return "JCuda natives missing for this platform (" + platform + "): the native library JCudaDriver could"
                    + " not be loaded (" + firstLine(text) + ")";
        }
        return "the JCuda driver bindings could not be loaded: " + firstLine(text);
    }

    private static String firstLine(String s) {
        String t = s.trim();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    private static CudaStatus initDriver() {
        JCudaDriver.setExceptionsEnabled(false);
        int r = JCudaDriver.cuInit(0);
        if (r != CUresult.CUDA_SUCCESS) {
            return CudaStatus.unusable(explainInit(r));
        }
        int[] version = new int[1];
        JCudaDriver.cuDriverGetVersion(version);
        int[] count = new int[1];
        r = JCudaDriver.cuDeviceGetCount(count);
        if (r != CUresult.CUDA_SUCCESS) {
            return CudaStatus.unusable("cuDeviceGetCount failed: " + CUresult.stringFor(r));
        }
        if (count[0] == 0) {
            return CudaStatus.unusable("the NVIDIA driver is installed but reports no CUDA device");
        }
        return new CudaStatus(count[0], version[0], null);
    }

    /** A sentence for a failed {@code cuInit}, by CUresult code. */
    static String explainInit(int code) {
        return switch (code) {
            case 100 -> "the NVIDIA driver found no CUDA device (CUDA_ERROR_NO_DEVICE; check CUDA_VISIBLE_DEVICES"
                    + " and that the GPU is visible to this process)";
            case 35 -> "the installed NVIDIA driver is too old for CUDA 12 (CUDA_ERROR_INSUFFICIENT_DRIVER; JCuda 12.6"
                    + " needs a driver for CUDA 12.6 or newer)";
            case 34 -> "libcuda.so.1 is the CUDA toolkit's stub library, not a driver (CUDA_ERROR_STUB_LIBRARY):"
                    + " no NVIDIA driver is installed";
            default -> "cuInit failed: " + CUresult.stringFor(code);
        };
    }
}

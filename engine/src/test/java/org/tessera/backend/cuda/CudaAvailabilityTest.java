package org.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ServiceLoader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tessera.Device;
import org.tessera.Tessera;
import org.tessera.backend.BackendProvider;
import org.tessera.backend.Backends;

/** Discovery of the CUDA backend, and the errors on machines where CUDA cannot be used. */
class CudaAvailabilityTest {
    @Test
    void theBackendIsFoundThroughTheServiceLoaderWithoutTouchingTheDriver() {
        boolean found = ServiceLoader.load(BackendProvider.class).stream()
                .anyMatch(p -> p.type() == CudaBackendProvider.class);
        assertTrue(found);
        assertTrue(Backends.has("cuda"));
        assertInstanceOf(CudaBackend.class, Backends.forDevice(Device.cuda(0)));
    }

    @Test
    void withoutUsableCudaEverythingSaysWhy() {
        Assumptions.assumeFalse(Tessera.isCudaAvailable(), "this machine has a usable GPU");
        String reason = Cuda.unavailableReason();
        assertNotNull(reason);
        assertFalse(reason.isBlank());
        assertEquals(0, Cuda.deviceCount());
        assertFalse(Backends.forDevice(Device.cuda(0)).isAvailable(Device.cuda(0)));
        assertEquals(reason, Backends.forDevice(Device.cuda(0)).unavailableReason(Device.cuda(0)));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Tessera.ones(2, 2).to(Device.cuda(0)));
        assertEquals("to: device cuda:0 is not usable: " + reason, e.getMessage());
        // the CPU keeps working
        assertEquals(4.0, Tessera.ones(2, 2).sum().item());
    }

    @Test
    void aDeviceBeyondTheCountIsNamedInTheError() {
        Assumptions.assumeTrue(Tessera.isCudaAvailable(), () -> "CUDA is not usable here: " + Cuda.unavailableReason());
        Device d = Device.cuda(Cuda.deviceCount());
        String why = Backends.forDevice(d).unavailableReason(d);
        assertTrue(why.contains("does not exist"), why);
    }

    @Test
    void linkErrorsAndDriverCodesBecomeSentences() {
        assertEquals("libcuda.so.1 not found: no NVIDIA driver is installed or it is not on the library path",
                CudaProbe.explainLinkError(new UnsatisfiedLinkError("Error while loading native library"
                        + " \"JCudaDriver-12.6.0-linux-x86_64\": libcuda.so.1: cannot open shared object file"),
                        "linux-x86_64"));
        assertTrue(CudaProbe.explainLinkError(new UnsatisfiedLinkError("Could not load the native library"
                + " JCudaDriver-12.6.0-linux-x86_64"), "linux-x86_64").startsWith("JCuda natives missing for this"
                + " platform (linux-x86_64)"));
        assertTrue(CudaProbe.explainInit(100).startsWith("the NVIDIA driver found no CUDA device"));
        assertTrue(CudaProbe.explainInit(35).contains("too old"));
        assertTrue(CudaProbe.explainInit(34).contains("stub"));
    }

    @Test
    void onlyLinuxAndWindowsOnX64HaveNatives() {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        try {
            System.setProperty("os.name", "Mac OS X");
            System.setProperty("os.arch", "aarch64");
            assertEquals(null, CudaProbe.platform());
            System.setProperty("os.name", "Linux");
            System.setProperty("os.arch", "amd64");
            assertEquals("linux-x86_64", CudaProbe.platform());
            System.setProperty("os.name", "Windows 11");
            assertEquals("windows-x86_64", CudaProbe.platform());
        } finally {
            System.setProperty("os.name", os);
            System.setProperty("os.arch", arch);
        }
    }
}

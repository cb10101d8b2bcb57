package org.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tessera.Device;
import org.tessera.backend.cuda.DeviceSelector.Environment;
import org.tessera.backend.cuda.DeviceSelector.Mode;
import org.tessera.backend.cuda.DeviceSelector.Selection;

/** Executor device choice from Spark's GPU addresses and the device mode. */
class DeviceSelectorTest {
    private static final Environment TWO_GPUS = new Environment(null, 2, null);
    private static final Environment NO_DRIVER = new Environment("libcuda.so.1 not found", 0, null);

    @Test
    void autoUsesTheAssignedGpu() {
        Selection s = DeviceSelector.choose(Mode.AUTO, List.of("1"), TWO_GPUS);
        assertEquals(Device.cuda(1), s.device());
        assertNull(s.fallbackReason());
    }

    @Test
    void autoFallsBackToTheCpuWithTheReason() {
        Selection none = DeviceSelector.choose(Mode.AUTO, List.of(), TWO_GPUS);
        assertEquals(Device.CPU, none.device());
        assertTrue(none.fallbackReason().contains("spark.task.resource.gpu.amount"), none.fallbackReason());
        Selection noDriver = DeviceSelector.choose(Mode.AUTO, List.of("0"), NO_DRIVER);
        assertEquals(Device.CPU, noDriver.device());
        assertTrue(noDriver.fallbackReason().contains("libcuda.so.1 not found"), noDriver.fallbackReason());
        Selection missing = DeviceSelector.choose(Mode.AUTO, List.of("5"), TWO_GPUS);
        assertEquals(Device.CPU, missing.device());
        assertTrue(missing.fallbackReason().contains("only 2 device(s)"), missing.fallbackReason());
    }

    @Test
    void visibleDevicesRenumberTheAddresses() {
        Environment env = new Environment(null, 2, "3,5");
        assertEquals(Device.cuda(1), DeviceSelector.choose(Mode.AUTO, List.of("5"), env).device());
        assertEquals(Device.CPU, DeviceSelector.choose(Mode.AUTO, List.of("0"), env).device());
        Environment uuids = new Environment(null, 1, "GPU-8f2a");
        assertEquals(Device.cuda(0), DeviceSelector.choose(Mode.CUDA, List.of("GPU-8f2a"), uuids).device());
    }

    @Test
    void cpuModeIgnoresGpus() {
        assertEquals(Device.CPU, DeviceSelector.choose(Mode.CPU, List.of("0"), TWO_GPUS).device());
        assertNull(DeviceSelector.choose(Mode.CPU, List.of("0"), TWO_GPUS).fallbackReason());
    }

    @Test
    void cudaModeFailsWithTheReasonInsteadOfFallingBack() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DeviceSelector.choose(Mode.CUDA, List.of("0"), NO_DRIVER));
        assertTrue(e.getMessage().contains("libcuda.so.1 not found"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> DeviceSelector.choose(Mode.CUDA, List.of(), NO_DRIVER));
        assertEquals(Device.cuda(0), DeviceSelector.choose(Mode.CUDA, List.of(), TWO_GPUS).device());
    }

    @Test
    void modesParseCaseInsensitivelyAndRejectOthers() {
        assertEquals(Mode.CUDA, Mode.parse(" CUDA "));
        assertEquals(Mode.AUTO, Mode.parse(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mode.parse("tpu"));
        assertTrue(e.getMessage().contains("'tpu' is not one of auto, cpu, cuda"), e.getMessage());
    }

    @Test
    void theFallbackIsLoggedOncePerJvm() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Cuda.isAvailable(), "this machine has a usable GPU");
        DeviceSelector.resetLogOnce();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertEquals(Device.CPU, DeviceSelector.select("auto", List.of("0"), lines::add));
        }
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("Tessera: tasks on this executor run on the CPU: GPU 0 was assigned"),
                lines.get(0));
    }
}

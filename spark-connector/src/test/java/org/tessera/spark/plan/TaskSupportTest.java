package org.tessera.spark.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tessera.Device;
import org.tessera.Tessera;

class TaskSupportTest {
    @Test
    void cpuModeAlwaysBindsTheCpu() {
        assertEquals(Device.CPU, TaskSupport.selectDevice("cpu", List.of("0")));
    }

    @Test
    void autoModeWithoutAnAssignedGpuFallsBackToTheCpu() {
        assertEquals(Device.CPU, TaskSupport.selectDevice("auto", List.of()));
    }

    @Test
    void cudaModeFailsWithTheReasonWhenCudaCannotBeUsed() {
        if (Tessera.isCudaAvailable()) {
            assertEquals(Device.cuda(0), TaskSupport.selectDevice("cuda", List.of("0")));
            return;
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TaskSupport.selectDevice("cuda", List.of("0")));
        assertTrue(e.getMessage().startsWith("device mode cuda:"), e.getMessage());
        assertEquals(Device.CPU, TaskSupport.selectDevice("auto", List.of("0")), "auto falls back instead");
    }

    @Test
    void unknownModesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskSupport.selectDevice("tpu", List.of()));
        assertTrue(e.getMessage().contains("'tpu'"), e.getMessage());
    }
}

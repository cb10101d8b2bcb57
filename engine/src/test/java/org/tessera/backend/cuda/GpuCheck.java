package org.tessera.backend.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The GPU check in one JVM: runs every test tagged {@code gpu}, then {@link CudaBenchmark}.
 * Used by the repository's {@code gpu-check} script; exits 0 only when CUDA is usable and every
 * GPU test passed (none skipped).
 */
public final class GpuCheck {
    private GpuCheck() {
    }

    /** Runs the tests and the benchmark. */
    public static void main(String[] args) {
        System.out.println("gpu-check: CUDA " + (Cuda.isAvailable() ? "available, " + Cuda.deviceCount() + " device(s)"
                : "NOT usable: " + Cuda.unavailableReason()));
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage("org.tessera"))
                .filters(TagFilter.includeTags("gpu"))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        long start = System.nanoTime();
        launcher.execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        s.printFailuresTo(new PrintWriter(System.out, true), 20);
        System.out.printf("gpu-check: GPU tests: %d found, %d passed, %d failed, %d skipped (%.1f s)%n",
                s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount(),
                s.getTestsSkippedCount() + s.getTestsAbortedCount(), (System.nanoTime() - start) / 1e9);
        if (!Cuda.isAvailable()) {
            System.exit(2);
        }
        CudaBenchmark.main(args);
        boolean ok = s.getTotalFailureCount() == 0 && s.getTestsAbortedCount() == 0 && s.getTestsSucceededCount() > 0;
        System.out.println("gpu-check: " + (ok ? "PASSED" : "FAILED"));
        System.exit(ok ? 0 : 1);
    }
}

package org.tessera.autograd;

/** Whether ops record gradient history on this thread (off inside a no-grad scope). */
public final class GradMode {
    private static final ThreadLocal<int[]> DISABLED = ThreadLocal.withInitial(() -> new int[1]);

    private GradMode() {
    }

    /** True unless a no-grad scope is open on this thread. */
    public static boolean isEnabled() {
        return DISABLED.get()[0] == 0;
    }

    /** Opens a no-grad scope; close it (try-with-resources) to restore recording. */
    public static NoGrad disable() {
        DISABLED.get()[0]++;
        return new NoGrad();
    }

    /** A no-grad scope: ops inside build no gradient history, as PyTorch's {@code torch.no_grad()}. */
    public static final class NoGrad implements AutoCloseable {
        private boolean closed;

        private NoGrad() {
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                DISABLED.get()[0]--;
            }
        }
    }
}

package org.tessera.memory;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaks off-heap memory, with the number of bytes leaked.
 *
 * <p>Before each test it opens a {@link MemoryScope} (its own Arrow child allocator) so that
 * every tensor the test realizes is accounted to it; after the test it closes the scope, which
 * frees the test's buffers and reports any bytes still outstanding, and then checks that the
 * root allocator holds no more than it did before the test. Tests that must run outside every
 * scope (to check reclamation of unreachable tensors) carry {@link Unscoped}: for them only
 * the root check runs, after giving the garbage collector a bounded time to release buffers.
 *
 * <pre>{@code
 * @ExtendWith(LeakCheck.class)
 * class MyTest { ... }
 * }</pre>
 */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheck.class);
    private final long reclaimWaitMs;

    /** Marks a test that runs outside any memory scope; its leaks are checked against the root allocator. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    public @interface Unscoped {
    }

    /** A leak check that waits up to five seconds for unreachable buffers to be released. */
    public LeakCheck() {
        this(5_000);
    }

    /** A leak check that waits up to {@code reclaimWaitMs} for unreachable buffers to be released. */
    LeakCheck(long reclaimWaitMs) {
        this.reclaimWaitMs = reclaimWaitMs;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        if (isUnscoped(context)) {
            settle();
        }
        store.put("rootBefore", Memory.allocatedBytes());
        if (!isUnscoped(context)) {
            store.put("scope", MemoryScope.open("test " + context.getDisplayName()));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        MemoryScope scope = store.remove("scope", MemoryScope.class);
        String test = context.getRequiredTestClass().getSimpleName() + "." + context.getDisplayName();
        if (scope != null) {
            // scopes the test left open are closed here, so that later tests start clean, and reported
            int open = 0;
            for (MemoryScope s = MemoryScope.current(); s != null && s != scope; s = MemoryScope.current()) {
                open++;
                try {
                    s.close();
                } catch (IllegalStateException leaked) {
                    // reported below, with the count of scopes left open
                }
                if (MemoryScope.current() == s) {
                    throw new AssertionError(test + ": a memory scope opened by the test cannot be closed");
                }
            }
            try {
                scope.close();
            } catch (IllegalStateException e) {
                throw new AssertionError(test + ": " + e.getMessage(), e);
            }
            if (open > 0) {
                throw new AssertionError(test + ": " + open + " memory scope(s) opened by the test were not closed");
            }
        }
        long before = store.get("rootBefore", Long.class);
        long leaked = waitForRoot(before, reclaimWaitMs);
        if (leaked > 0) {
            throw new AssertionError(test + ": leaked " + leaked + " bytes of off-heap memory (the root allocator"
                    + " held " + before + " bytes before the test and " + (before + leaked) + " after it)");
        }
    }

    private static boolean isUnscoped(ExtensionContext context) {
        return context.getTestMethod().map(m -> m.isAnnotationPresent(Unscoped.class)).orElse(false);
    }

    /**
     * Lets earlier tests' unreachable buffers go before the baseline is taken, so that their
     * release during this test cannot hide a leak of this test's own.
     */
    private static void settle() {
        long last = -1;
        for (int i = 0; i < 10 && Memory.allocatedBytes() != last; i++) {
            last = Memory.allocatedBytes();
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Bytes the root holds above {@code before}, after waiting (bounded) for unreachable buffers to go. */
    private static long waitForRoot(long before, long waitMs) {
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        long extra = Memory.allocatedBytes() - before;
        while (extra > 0 && System.nanoTime() < deadline) {
            Memory.reclaim();
            extra = Memory.allocatedBytes() - before;
        }
        return extra;
    }
}

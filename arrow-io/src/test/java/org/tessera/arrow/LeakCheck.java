package org.tessera.arrow;

import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.tessera.Scope;
import org.tessera.Tessera;
import org.tessera.memory.Memory;

/**
 * Opens an allocator and a tensor scope before each test and closes both after it, failing the
 * test with the byte count if anything the test made (vectors, tensors, shared buffers) leaked.
 * Tests receive the allocator as a {@link BufferAllocator} parameter.
 */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheck.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        store.put("before", Memory.allocatedBytes());
        store.put("allocator", ArrowVectors.newAllocator(context.getDisplayName()));
        store.put("scope", Tessera.scope());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        Scope scope = store.remove("scope", Scope.class);
        BufferAllocator allocator = store.remove("allocator", BufferAllocator.class);
        long before = store.remove("before", Long.class);
        try {
            scope.close();
        } finally {
            long held = allocator.getAllocatedMemory();
            allocator.close(); // throws, naming the leaked buffers, if a vector was not closed
            if (held != 0) {
                throw new AssertionError(held + " bytes leaked in the test's allocator");
            }
        }
        long after = Memory.allocatedBytes();
        if (after > before) {
            throw new AssertionError((after - before) + " bytes of tensor memory leaked (before " + before
                    + ", after " + after + ")");
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == BufferAllocator.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return e.getStore(NS).get("allocator", BufferAllocator.class);
    }
}

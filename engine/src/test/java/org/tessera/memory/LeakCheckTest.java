package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.ArrowBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** The leak check itself: it passes clean tests and fails leaking ones with the bytes leaked. */
class LeakCheckTest {

    /** A minimal extension context: a display name, this class, a method, and a working store. */
    private static ExtensionContext context(String methodName) throws NoSuchMethodException {
        Method m = LeakCheckTest.class.getDeclaredMethod(methodName);
        Map<Object, Object> values = new HashMap<>();
        ExtensionContext.Store store = (ExtensionContext.Store) Proxy.newProxyInstance(
                LeakCheckTest.class.getClassLoader(), new Class<?>[] {ExtensionContext.Store.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "put" -> values.put(args[0], args[1]);
                    case "get" -> args.length == 2 ? ((Class<?>) args[1]).cast(values.get(args[0])) : values.get(args[0]);
                    case "remove" -> args.length == 2 ? ((Class<?>) args[1]).cast(values.remove(args[0]))
                            : values.remove(args[0]);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ExtensionContext) Proxy.newProxyInstance(LeakCheckTest.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getStore" -> store;
                    case "getDisplayName" -> methodName + "()";
                    case "getRequiredTestClass" -> LeakCheckTest.class;
                    case "getTestMethod" -> Optional.of(m);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @LeakCheck.Unscoped
    private void unscopedMarker() {
    }

    private void scopedMarker() {
    }

    @Test
    void passesATestThatOnlyUsesItsScope() throws Exception {
        LeakCheck check = new LeakCheck(100);
        ExtensionContext c = context("scopedMarker");
        check.beforeEach(c);
        Tensor t = Tessera.ones(1000).mul(2).realize();
        assertTrue(MemoryScope.current() != null);
        check.afterEach(c);
        assertNull(MemoryScope.current());
        assertTrue(t.node().storage().isReleased());
    }

    @Test
    void failsWithTheBytesLeakedFromTheTestScope() throws Exception {
        LeakCheck check = new LeakCheck(100);
        ExtensionContext c = context("scopedMarker");
        check.beforeEach(c);
        ArrowBuf raw = MemoryScope.current().allocator().buffer(128);
        AssertionError e = assertThrows(AssertionError.class, () -> check.afterEach(c));
        assertTrue(e.getMessage().contains("128 bytes leaked"), e.getMessage());
        assertNull(MemoryScope.current());
        raw.close();
    }

    @Test
    void failsAndClosesScopesThatTheTestLeftOpen() throws Exception {
        LeakCheck check = new LeakCheck(100);
        ExtensionContext c = context("scopedMarker");
        check.beforeEach(c);
        Tessera.scope();
        Tessera.scope();
        AssertionError e = assertThrows(AssertionError.class, () -> check.afterEach(c));
        assertTrue(e.getMessage().contains("2 memory scope(s)"), e.getMessage());
        assertNull(MemoryScope.current());
    }

    @Test
    void failsAnUnscopedTestThatKeepsABufferReachable() throws Exception {
        LeakCheck check = new LeakCheck(100);
        ExtensionContext c = context("unscopedMarker");
        check.beforeEach(c);
        assertNull(MemoryScope.current());
        Storage held = Storage.allocate(256, "held buffer");
        AssertionError e = assertThrows(AssertionError.class, () -> check.afterEach(c));
        assertTrue(e.getMessage().contains("leaked 256 bytes"), e.getMessage());
        held.release();
        assertEquals(true, held.isReleased());
    }
}

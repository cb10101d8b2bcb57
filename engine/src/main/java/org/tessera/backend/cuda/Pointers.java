package org.tessera.backend.cuda;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * JCuda pointers for raw addresses: device addresses are kept as {@code long}s in this backend,
 * and host addresses are those of the off-heap Arrow buffers, so copies need no intermediate
 * Java buffer.
 */
final class Pointers {
    private static final VarHandle NATIVE;

    static {
        try {
            NATIVE = MethodHandles.privateLookupIn(NativePointerObject.class, MethodHandles.lookup())
                    .findVarHandle(NativePointerObject.class, "nativePointer", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Pointers() {
    }

    /** A device pointer at {@code address}. */
    static CUdeviceptr device(long address) {
        CUdeviceptr p = new CUdeviceptr();
        NATIVE.set(p, address);
        return p;
    }

    /** A host pointer at {@code address} (off-heap memory). */
    static Pointer host(long address) {
        Pointer p = new Pointer();
        NATIVE.set(p, address);
        return p;
    }

    /** The address a pointer returned by the driver holds. */
    static long address(CUdeviceptr p) {
        return (long) NATIVE.get(p);
    }
}

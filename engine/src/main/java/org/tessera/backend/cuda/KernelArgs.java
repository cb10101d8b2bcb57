package org.tessera.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.NativePointerObject;
import jcuda.Pointer;

/**
 * The parameters of one kernel launch, in the order of the kernel's C signature: each call
 * adds one parameter of the C type its name says.
 */
final class KernelArgs {
    private final List<NativePointerObject> params = new ArrayList<>();

    /** A device pointer ({@code const char*} and friends). */
    KernelArgs ptr(long address) {
        params.add(Pointer.to(new long[] {address}));
        return this;
    }

    /** A {@code long long}. */
    KernelArgs i64(long v) {
        params.add(Pointer.to(new long[] {v}));
        return this;
    }

    /** An {@code int}. */
    KernelArgs i32(int v) {
        params.add(Pointer.to(new int[] {v}));
        return this;
    }

    /** A struct passed by value whose fields are all 8-byte words. */
    KernelArgs words(long[] struct) {
        params.add(Pointer.to(struct));
        return this;
    }

    Pointer toPointer() {
        return Pointer.to(params.toArray(new NativePointerObject[0]));
    }
}

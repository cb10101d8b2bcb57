package org.tessera.backend.cuda;

import org.tessera.backend.Backend;
import org.tessera.backend.BackendProvider;

/**
 * Supplies the CUDA backend to {@link org.tessera.backend.Backends} through
 * {@link java.util.ServiceLoader}. Creating it loads no native code, so this works on machines
 * without a driver; the backend then reports itself unavailable with the reason.
 */
public final class CudaBackendProvider implements BackendProvider {
    /** Creates the provider (ServiceLoader needs a public no-argument constructor). */
    public CudaBackendProvider() {
    }

    @Override
    public Backend create() {
        return new CudaBackend();
    }
}

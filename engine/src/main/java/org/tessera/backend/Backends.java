package org.tessera.backend;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.tessera.Device;
import org.tessera.backend.cpu.CpuBackend;

/** The registry of backends by device type. */
public final class Backends {
    private static final Map<String, Backend> BY_TYPE = new ConcurrentHashMap<>();
    private static volatile boolean loaded;

    static {
        register(new CpuBackend());
    }

    private Backends() {
    }

    /** Adds or replaces the backend for its device type. */
    public static void register(Backend backend) {
        BY_TYPE.put(backend.deviceType(), backend);
    }

    /** The backend for {@code device}, or an error naming the type and the ones known. */
    public static Backend forDevice(Device device) {
        Backend b = BY_TYPE.get(device.type());
        if (b == null && !loaded) {
            loadProviders();
            b = BY_TYPE.get(device.type());
        }
        if (b == null) {
            throw new IllegalArgumentException("device " + device + ": no backend for device type '"
                    + device.type() + "'; known types: " + BY_TYPE.keySet()
                    + " (add the module that provides it to the class path)");
        }
        return b;
    }

    /** Whether a backend for this type is registered or can be loaded. */
    public static boolean has(String type) {
        if (!loaded) {
            loadProviders();
        }
        return BY_TYPE.containsKey(type);
    }

    private static synchronized void loadProviders() {
        if (loaded) {
            return;
        }
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            Backend b = p.create();
            BY_TYPE.putIfAbsent(b.deviceType(), b);
        }
        loaded = true;
    }
}

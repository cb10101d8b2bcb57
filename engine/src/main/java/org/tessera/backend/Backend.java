package org.tessera.backend;

import org.tessera.Device;
import org.tessera.graph.Node;

/**
 * Executes graphs for one device type.
 *
 * <p>The engine ships the CPU backend. Other modules (CUDA, the distributed runtime on
 * Spark) implement this interface and register through {@link BackendProvider} with
 * {@link java.util.ServiceLoader}, or directly with {@link Backends#register}; the engine
 * never depends on them.
 */
public interface Backend {
    /** The device type this backend serves, such as {@code cpu}. */
    String deviceType();

    /** Whether the given device can be used now; {@link #unavailableReason} says why not. */
    boolean isAvailable(Device device);

    /** A sentence naming why the device cannot be used, or null when it can. */
    default String unavailableReason(Device device) {
        return isAvailable(device) ? null : "the " + deviceType() + " backend reports the device unusable";
    }

    /**
     * Whether ops on this device may take CPU tensors as inputs (the backend moves or
     * broadcasts them itself), as the distributed runtime does for local parameters.
     */
    default boolean acceptsHostInputs() {
        return false;
    }

    /** Computes the node's data (and whatever inputs it needs), leaving it realized. */
    void realize(Node node);

    /**
     * Returns a realized CPU node with the same values as {@code node} (which this backend
     * realized), for reading results on the host.
     */
    Node toHost(Node node);

    /** Copies a realized CPU node to {@code device}, returning a realized node there. */
    Node fromHost(Node hostNode, Device device);

    /**
     * Frees the data this backend holds for {@code node} now, instead of when the node becomes
     * unreachable; memory shared with other nodes (views) stays until they free or drop it too.
     * The node must not be read afterwards. Nothing happens for a node without data of this
     * backend. The default does nothing: the data goes when the node becomes unreachable (or, for
     * host buffers, when the {@link org.tessera.memory.MemoryScope} that allocated it closes).
     */
    default void free(Node node) {
    }

    /**
     * What printing {@code node} shows when reading its values would start work (for a distributed
     * tensor, a job) because they have not been computed: a one-line description such as its
     * shape, dtype, device and layout. Null (the default) means the values are to be read and
     * printed as usual.
     */
    default String pendingSummary(Node node) {
        return null;
    }
}

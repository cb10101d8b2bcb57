package org.tessera.backend;

/** Found with {@link java.util.ServiceLoader}: supplies a backend for a device type. */
public interface BackendProvider {
    /** Creates the backend; called once, on first use of its device type. */
    Backend create();
}

/** The backend interface through which devices (CPU, CUDA, a Spark cluster) realize graphs. */
package org.tessera.backend;

/** The CPU backend: fused tile-at-a-time elementwise passes, reductions, views and OpenBLAS matmul. */
package org.tessera.backend.cpu;

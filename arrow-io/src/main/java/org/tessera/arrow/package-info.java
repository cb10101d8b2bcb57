/** Tensors as Arrow data: vectors, record batches, the fixed-shape tensor extension type and IPC files. */
package org.tessera.arrow;

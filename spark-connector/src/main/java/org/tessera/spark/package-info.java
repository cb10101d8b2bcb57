/** Distributed tensors on Spark: sessions, block grids, the distributed runtime and DataFrame conversion. */
package org.tessera.spark;

/**
 * Tessera on Spark: {@link org.tessera.spark.TesseraSession} makes distributed tensors (engine
 * tensors on the {@code spark} device, cut into blocks by a {@link org.tessera.spark.BlockGrid}),
 * converts DataFrames, and carries the configuration keys of {@link org.tessera.spark.TesseraConf}.
 */
package org.tessera.spark;

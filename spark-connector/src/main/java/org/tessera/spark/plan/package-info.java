/**
 * The distributed runtime: lowers the engine's op graph on the {@code spark} device to RDD
 * stages over block grids ({@link org.tessera.spark.plan.SparkBackend} is the entry point).
 */
package org.tessera.spark.plan;

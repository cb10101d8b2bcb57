/**
 * One off-heap budget per executor for Tessera's allocations and the blocks Spark caches: the
 * budget's derivation from Spark's off-heap settings, the storage level of cached blocks, and the
 * eviction of cached blocks when an allocation would pass the budget.
 */
package org.tessera.spark.memory;

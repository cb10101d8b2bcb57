/** Benchmark programs (run with {@code spark-connector/bench.sh}); they print figures, they test nothing. */
package org.tessera.spark.bench;

/** Benchmark programs for the Arrow module (run with a main, not as tests). */
package org.tessera.arrow.bench;

/** Spark ML stages built on {@link org.tessera.spark.TesseraSession#mapBatches}: tensor functions in a {@code Pipeline}. */
package org.tessera.spark.ml;

/** Moving tensors between Spark DataFrames, Arrow IPC files and distributed blocks. */
package org.tessera.spark.io;

/**
 * Blocks of distributed tensors: one block is a local engine tensor and its index in the
 * block grid; {@link org.tessera.spark.block.BlockCodec} owns the byte layout that crosses the network.
 */
package org.tessera.spark.block;

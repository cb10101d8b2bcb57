/** Kryo registration of every class Tessera sends over the network. */
package org.tessera.spark.kryo;

package org.tessera.spark.kryo;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.BlockIndex;
import org.tessera.spark.plan.Rdds;

/**
 * Registers every class that Tessera sends through Spark's serializer (shuffles, broadcasts,
 * task results, cached blocks), so that {@code spark.kryo.registrationRequired=true} works.
 * Set {@code spark.kryo.registrator} to this class (TesseraSession does when it creates Spark).
 */
public final class TesseraKryoRegistrator implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(Block.class, new BlockKryoSerializer());
        kryo.register(Block[].class);
        kryo.register(BlockIndex.class);
        kryo.register(Rdds.Partial.class);
        kryo.register(Rdds.Piece.class);
        kryo.register(int[].class);
        kryo.register(long[].class);
        kryo.register(long[][].class);
        kryo.register(Object[].class);
        kryo.register(java.util.ArrayList.class);
        kryo.register(scala.Tuple2.class);
        kryo.register(scala.Tuple2[].class);
    }
}

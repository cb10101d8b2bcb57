package org.tessera.spark.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.IOException;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.BlockCodec;

/** Kryo serializer of blocks: the versioned header and raw bytes of {@link BlockCodec}. */
public final class BlockKryoSerializer extends Serializer<Block> {
    @Override
    public void write(Kryo kryo, Output output, Block block) {
        try {
            BlockCodec.write(block, output::writeBytes);
        } catch (IOException e) {
            throw new KryoException(e);
        }
    }

    @Override
    public Block read(Kryo kryo, Input input, Class<Block> type) {
        try {
            return BlockCodec.read(input::readBytes);
        } catch (IOException e) {
            throw new KryoException(e);
        }
    }
}

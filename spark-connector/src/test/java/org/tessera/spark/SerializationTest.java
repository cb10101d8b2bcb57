package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.BlockCodec;
import scala.reflect.ClassTag$;

class SerializationTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void theSharedSessionRequiresKryoRegistrationAndShufflesWork() {
        assertEquals("true", ts.spark().conf().get("spark.kryo.registrationRequired"));
        assertEquals(KryoSerializer.class.getName(), ts.spark().conf().get("spark.serializer"));
        // a shuffle-heavy computation: rechunk, shuffle matmul, tree reduction, cached DataFrame blocks
        Tensor a = SharedSpark.randn(12, 9);
        Tensor d = ts.rechunk(ts.distribute(a, 5, 4), 3, 3);
        ts.matmulStrategy(MatmulStrategy.SHUFFLE);
        try {
            SharedSpark.assertClose(a.matmul(a.t()), d.matmul(d.t()), 1e-13);
        } finally {
            ts.matmulStrategy(MatmulStrategy.AUTO);
        }
        ts.persist(d);
        SharedSpark.assertClose(a.sum(), d.sum(), 1e-13);
    }

    @Test
    void blocksRoundTripThroughKryoWithAVersionedHeader() {
        SerializerInstance kryo = new KryoSerializer(ts.sparkContext().getConf()).newInstance();
        for (DType t : DType.values()) {
            Tensor data = Tessera.arange(0, 12, 1, DType.INT64).reshape(3, 4).to(t);
            Block b = new Block(new int[] {2, 5}, data);
            ByteBuffer bytes = kryo.serialize(b, ClassTag$.MODULE$.apply(Block.class));
            Block back = kryo.deserialize(bytes, ClassTag$.MODULE$.apply(Block.class));
            assertArrayEquals(new int[] {2, 5}, back.index());
            assertEquals(t, back.data().dtype());
            assertArrayEquals(data.toDoubleArray(), back.data().toDoubleArray(), 0);
        }
    }

    @Test
    void javaSerializationUsesTheSameLayout() throws Exception {
        Block b = new Block(new int[] {1}, Tessera.tensor(new double[] {1.5, -2, 3}));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
            out.writeObject(b);
        }
        Block back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
            back = (Block) in.readObject();
        }
        assertArrayEquals(new double[] {1.5, -2, 3}, back.data().toDoubleArray(), 0);
    }

    @Test
    void theCodecWritesMagicVersionAndRawLittleEndianBytes() throws Exception {
        Block b = new Block(new int[] {3}, Tessera.tensor(new double[] {1.0, 2.0}, DType.FLOAT64));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        BlockCodec.write(b, bos::write);
        ByteBuffer buf = ByteBuffer.wrap(bos.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(BlockCodec.headerBytes(1) + 16, buf.remaining());
        assertEquals(BlockCodec.MAGIC, buf.getInt());
        assertEquals(BlockCodec.VERSION, buf.get());
        assertEquals(1, buf.get(), "dtype code of float64");
        assertEquals(1, buf.get(), "rank");
        buf.get();
        assertEquals(3, buf.getInt(), "index");
        assertEquals(2, buf.getLong(), "shape");
        assertEquals(1.0, buf.getDouble());
        assertEquals(2.0, buf.getDouble());
        byte[] bad = bos.toByteArray();
        bad[4] = 9;
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> BlockCodec.read(
                (arr, off, len) -> System.arraycopy(bad, 0, arr, off, len)));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());
    }
}

package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.spark.storage.RDDInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.block.Block;

/**
 * What Spark counts for the blocks Tessera keeps, and the files reliable checkpoints leave: a slice
 * keeps its parent's buffers alive and is counted with them; a checkpoint keeps only its own values;
 * checkpoints taken in a loop go to one directory.
 */
class PersistAccountingTest {
    private final TesseraSession ts = SharedSpark.session();

    private long cachedBytes(int rddId) {
        for (RDDInfo i : ts.spark().sparkContext().getRDDStorageInfo()) {
            if (i.id() == rddId) {
                return i.memSize() + i.diskSize();
            }
        }
        return 0;
    }

    @Test
    void aPersistedSliceIsCountedWithTheBufferItKeepsAndACheckpointKeepsItsOwnValues() {
        Tensor x = ts.randn(DType.FLOAT64, new long[] {4000, 64}, 1000, 64); // blocks of 512,000 bytes
        ts.persist(x);
        Tensor y = ts.persist(x.slice(1, 0, 4, 1));
        double sum = y.sum().item();
        int id = ts.blocks(y).id();
        assertTrue(cachedBytes(id) >= 4 * 512_000L, "a slice's blocks keep their parent's buffers: counted "
                + cachedBytes(id));
        Tensor c = ts.checkpoint(y);
        int cid = ts.blocks(c).id();
        long own = 4000L * 4 * 8;
        assertTrue(cachedBytes(cid) < own + 4 * 1024, "the checkpoint holds " + cachedBytes(cid) + " bytes for "
                + own + " bytes of values");
        assertEquals(sum, c.sum().item(), 1e-9);
        ts.blocks(c).foreach(b -> {
            if (b.heldBytes() != b.bytes()) {
                throw new AssertionError(b + " holds " + b.heldBytes() + " bytes for " + b.bytes());
            }
        });
        ts.unpersist(y);
        ts.unpersist(x);
        ts.unpersist(c);
    }

    @Test
    void reliableCheckpointsInALoopShareOneDirectory(@TempDir Path dir) throws IOException {
        String key = TesseraConf.CHECKPOINT_DIR.name();
        ts.spark().conf().set(key, dir.toString());
        try {
            Tensor z = ts.zeros(DType.FLOAT64, new long[] {400, 8}, 100, 8);
            for (int i = 0; i < 6; i++) {
                z = ts.checkpoint(z.add(1));
            }
            assertArrayEquals(new double[] {6, 6}, z.get("0, 0:2").cpu().toDoubleArray(), 0);
            try (Stream<Path> top = Files.list(dir)) {
                assertEquals(1, top.count(), "one checkpoint directory for the session");
            }
        } finally {
            ts.spark().conf().unset(key);
        }
    }
}

package org.tessera.spark.plan;

import java.io.Serializable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.tessera.Tensor;
import org.tessera.spark.block.Block;

/**
 * A driver-side tensor that tasks need whole: small ones travel inside the task, larger ones as
 * a Spark broadcast (sent once per executor).
 */
final class LocalOperand implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Values up to this size travel inside each task. */
    static final long INLINE_BYTES = 1 << 20;

    private final Block inline;
    private final Broadcast<Block> broadcast;

    private LocalOperand(Block inline, Broadcast<Block> broadcast) {
        this.inline = inline;
        this.broadcast = broadcast;
    }

    /** Ships {@code t} (realized now) inline or by broadcast, by size. */
    static LocalOperand of(JavaSparkContext sc, Tensor t) {
        Block b = new Block(new int[t.dim()], t);
        if (b.bytes() <= INLINE_BYTES) {
            return new LocalOperand(b, null);
        }
        return new LocalOperand(null, sc.broadcast(b));
    }

    /** The value, on an executor or on the driver. */
    Tensor get() {
        return inline != null ? inline.data() : broadcast.value().data();
    }
}

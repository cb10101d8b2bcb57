package org.tessera.spark;

import java.io.Serializable;
import java.util.List;
import org.tessera.Tensor;

/**
 * A computation over one batch of DataFrame rows, run by {@link TesseraSession#mapBatches} on the
 * executors: it receives the batch's input columns as one {@code [rows, features]} tensor and
 * returns one tensor per output column, {@code [rows]} for a scalar column or {@code [rows, k]} for
 * an array column.
 *
 * <pre>{@code
 * BatchFunction norms = x -> List.of(x.square().sum(1).sqrt());   // [rows, 3] -> [rows]
 * }</pre>
 *
 * <p>The input is a CPU tensor; the returned tensors may be lazy: they are computed on the task's
 * device (its GPU when {@code spark.tessera.device} allows one, else the CPU) and read back. Every
 * tensor made during {@link #apply} is freed after the batch, so a function that keeps tensors from
 * batch to batch (weights, say) makes them in {@link #open()}. The function is serialized to the
 * executors: hold parameters as arrays or other serializable values, not as tensors.
 */
@FunctionalInterface
public interface BatchFunction extends Serializable {
    /**
     * The output tensors for one batch, in the order of the output schema's fields.
     *
     * @param batch the input columns of the batch's rows, {@code [rows, features]}, float64 unless
     *     the options ask for float32
     */
    List<Tensor> apply(Tensor batch);

    /**
     * Called once in each task before its first batch, outside the batches' memory scopes: the place
     * to make tensors that live across batches. Does nothing by default.
     */
    default void open() {
    }
}

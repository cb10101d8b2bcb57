package org.tessera.jobs.data;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraSession;

/**
 * The features, an intercept column of ones and the label of one DataFrame as one distributed
 * tensor {@code [X, 1, y]} (n×(d+2)), whose blocks are kept (persisted) for repeated passes.
 *
 * <p>One matrix serves every pass: {@code AᵀA} holds all the moments; a linear model's residual
 * is one product {@code A · [w; b; −1]}, so its gradient (and with it the loss) is one pass over the
 * data; {@link #x()} and {@link #y()} are column views of it for other models.
 *
 * @param augmented {@code [X, 1, y]}, one row block per DataFrame partition
 */
public record Tensors(Tensor augmented) {
    /** The name of the column of ones added to the features. */
    public static final String INTERCEPT = "__tessera_intercept";

    /**
     * Converts {@code features} and {@code label} of {@code df} in one pass and keeps the blocks.
     */
    public static Tensors of(TesseraSession ts, Dataset<Row> df, List<String> features, String label, DType dtype) {
        DataFrameOptions o = DataFrameOptions.defaults().dtype(dtype);
        String[] cols = java.util.stream.Stream.concat(features.stream(), java.util.stream.Stream.of(INTERCEPT, label))
                .toArray(String[]::new);
        Tensor a = ts.persist(ts.fromDataFrame(df.withColumn(INTERCEPT, org.apache.spark.sql.functions.lit(1.0)), o,
                cols));
        ts.blocks(a).count();
        return new Tensors(a);
    }

    /** The number of features d (without the column of ones). */
    public int features() {
        return (int) augmented.shape().get(1) - 2;
    }

    /** The features followed by the column of ones (n×(d+1)), a view. */
    public Tensor x() {
        return augmented.slice(1, 0, features() + 1, 1);
    }

    /** The labels (n×1), a view. */
    public Tensor y() {
        return augmented.slice(1, features() + 1, features() + 2, 1);
    }

    /** Drops the kept blocks. */
    public void release(TesseraSession ts) {
        ts.unpersist(augmented);
    }
}

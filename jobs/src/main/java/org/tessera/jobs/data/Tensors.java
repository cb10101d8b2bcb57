package org.tessera.jobs.data;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraSession;

/**
 * A design matrix and a label column made from the columns of one DataFrame, as distributed
 * tensors whose blocks are kept (persisted) for repeated passes.
 *
 * <p>The design matrix carries a last column of ones, so that a linear model with an intercept
 * is one product {@code x · [w; b]}: its gradient with respect to both is then one pass over the
 * data ({@code xᵀ · dz}) instead of two.
 *
 * @param x the features followed by a column of ones (n×(d+1)), one row block per DataFrame partition
 * @param y the labels (n×1), cut like the rows of x
 */
public record Tensors(Tensor x, Tensor y) {
    /** The name of the column of ones added to the features. */
    public static final String INTERCEPT = "__tessera_intercept";

    /**
     * Converts {@code features} and {@code label} of {@code df}. The DataFrame is cached while both
     * tensors are made from it (so that the source is read once and both see the same rows), and
     * released when their blocks are kept.
     */
    public static Tensors of(TesseraSession ts, Dataset<Row> df, List<String> features, String label, DType dtype) {
        boolean wasCached = !df.storageLevel().equals(org.apache.spark.storage.StorageLevel.NONE());
        Dataset<Row> src = wasCached ? df : df.cache();
        DataFrameOptions o = DataFrameOptions.defaults().dtype(dtype);
        String[] cols = java.util.stream.Stream.concat(features.stream(), java.util.stream.Stream.of(INTERCEPT))
                .toArray(String[]::new);
        Tensor x = ts.persist(ts.fromDataFrame(src.withColumn(INTERCEPT, org.apache.spark.sql.functions.lit(1.0)), o,
                cols));
        Tensor y = ts.persist(ts.fromDataFrame(src, o, label));
        ts.blocks(x).count();
        ts.blocks(y).count();
        if (!wasCached) {
            src.unpersist(false);
        }
        return new Tensors(x, y);
    }

    /** The number of features d (without the column of ones). */
    public int features() {
        return (int) x.shape().get(1) - 1;
    }

    /** Drops the kept blocks. */
    public void release(TesseraSession ts) {
        ts.unpersist(x);
        ts.unpersist(y);
    }
}

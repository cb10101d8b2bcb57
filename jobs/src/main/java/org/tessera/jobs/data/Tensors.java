package org.tessera.jobs.data;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraSession;

/**
 * A design matrix {@code x} (n×d) and a label column {@code y} (n×1) made from the columns of one
 * DataFrame, as distributed tensors whose blocks are kept (persisted) for repeated passes.
 *
 * @param x the features, one row block per DataFrame partition
 * @param y the labels, cut like the rows of x
 */
public record Tensors(Tensor x, Tensor y) {
    /**
     * Converts {@code features} and {@code label} of {@code df}. The DataFrame is cached while both
     * tensors are made from it (so that the source is read once and both see the same rows), and
     * released when their blocks are kept.
     */
    public static Tensors of(TesseraSession ts, Dataset<Row> df, List<String> features, String label, DType dtype) {
        boolean wasCached = !df.storageLevel().equals(org.apache.spark.storage.StorageLevel.NONE());
        Dataset<Row> src = wasCached ? df : df.cache();
        DataFrameOptions o = DataFrameOptions.defaults().dtype(dtype);
        Tensor x = ts.persist(ts.fromDataFrame(src, o, features.toArray(new String[0])));
        Tensor y = ts.persist(ts.fromDataFrame(src, o, label));
        ts.blocks(x).count();
        ts.blocks(y).count();
        if (!wasCached) {
            src.unpersist(false);
        }
        return new Tensors(x, y);
    }

    /** Drops the kept blocks. */
    public void release(TesseraSession ts) {
        ts.unpersist(x);
        ts.unpersist(y);
    }
}

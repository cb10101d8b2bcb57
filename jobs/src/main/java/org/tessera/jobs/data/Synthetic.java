package org.tessera.jobs.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Generated regression data with known coefficients: features {@code x0 … x(d-1)} drawn from a
 * standard normal distribution and a label {@code y = Σ wⱼ xⱼ + b + noise·ε}, or for logistic
 * regression {@code 1} when that sum is positive and {@code 0} otherwise.
 *
 * <p>The values depend only on the seed and the number of partitions, so a recomputed
 * partition (or another run) produces the same rows.
 */
public final class Synthetic {
    /** The intercept of the generated data. */
    public static final double TRUE_BIAS = 0.5;

    private Synthetic() {
    }

    /** The true coefficients {@code wⱼ = ((3j mod 7) − 3) / 2 + 0.25}: −1.25, 0.25, 1.75, −0.25, 1.25, … */
    public static double[] trueWeights(int features) {
        double[] w = new double[features];
        for (int j = 0; j < features; j++) {
            w[j] = ((j * 3) % 7 - 3) / 2.0 + 0.25;
        }
        return w;
    }

    /** The feature column names {@code x0 … x(d-1)}. */
    public static List<String> featureNames(int features) {
        List<String> names = new ArrayList<>();
        for (int j = 0; j < features; j++) {
            names.add("x" + j);
        }
        return names;
    }

    /**
     * A DataFrame of {@code rows} rows in {@code partitions} partitions with the feature columns and
     * a {@code label} column (not cached: the caller decides).
     */
    public static Dataset<Row> regression(SparkSession spark, long rows, int features, int partitions, double noise,
            long seed, boolean logistic) {
        if (rows < 2 || features < 1 || partitions < 1) {
            throw new IllegalArgumentException("generated data: expected at least 2 rows, 1 feature and 1 partition;"
                    + " got rows=" + rows + ", features=" + features + ", partitions=" + partitions);
        }
        double[] w = trueWeights(features);
        List<Column> cols = new ArrayList<>();
        Column sum = lit(TRUE_BIAS);
        for (int j = 0; j < features; j++) {
            cols.add(randn(seed * 1000 + j).as("x" + j));
            sum = sum.plus(col("x" + j).multiply(w[j]));
        }
        Dataset<Row> x = spark.range(0, rows, 1, partitions).select(cols.toArray(new Column[0]));
        Column z = sum.plus(randn(seed * 1000 + features).multiply(noise));
        Column label = logistic ? when(z.gt(0), 1.0).otherwise(0.0) : z;
        return x.withColumn("label", label);
    }
}

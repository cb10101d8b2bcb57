package org.tessera.jobs.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Generated classification data: Gaussian blobs, one per class, with unit variance around class
 * centres drawn once from the seed (centre coordinates of standard deviation {@code 3/√d}, so the
 * classes overlap a little whatever d). Row i has class {@code i mod k}; every value is a function
 * of the seed and the row number, so the data does not depend on the partitioning.
 */
public final class Blobs {
    private Blobs() {
    }

    /** The feature column names {@code x0..x(d-1)}. */
    public static List<String> featureNames(int d) {
        List<String> names = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            names.add("x" + j);
        }
        return names;
    }

    /** A DataFrame of {@code rows} rows: {@code label} (int, 0..k-1) and {@code x0..x(d-1)} (doubles). */
    public static Dataset<Row> generate(SparkSession spark, long rows, int d, int k, int partitions, long seed) {
        if (rows < 2 || d < 1 || k < 2 || partitions < 1) {
            throw new IllegalArgumentException("generated data: expected at least 2 rows, 1 feature, 2 classes and 1"
                    + " partition; got rows=" + rows + ", features=" + d + ", classes=" + k + ", partitions="
                    + partitions);
        }
        double[][] centres = centres(d, k, seed);
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("label", DataTypes.IntegerType, false));
        for (String n : featureNames(d)) {
            fields.add(DataTypes.createStructField(n, DataTypes.DoubleType, false));
        }
        StructType schema = DataTypes.createStructType(fields);
        MapFunction<Long, Row> row = i -> {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (i * 0xC2B2AE3D27D4EB4FL + 1));
            int c = (int) (i % k);
            Object[] v = new Object[d + 1];
            v[0] = c;
            for (int j = 0; j < d; j++) {
                v[j + 1] = centres[c][j] + r.nextGaussian();
            }
            return RowFactory.create(v);
        };
        return spark.range(0, rows, 1, partitions).map(row, Encoders.row(schema));
    }

    static double[][] centres(int d, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] c = new double[k][d];
        double sd = 3 / Math.sqrt(d);
        for (int a = 0; a < k; a++) {
            for (int j = 0; j < d; j++) {
                c[a][j] = sd * r.nextGaussian();
            }
        }
        return c;
    }
}

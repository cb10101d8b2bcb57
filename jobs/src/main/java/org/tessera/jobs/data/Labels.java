package org.tessera.jobs.data;

import static org.apache.spark.sql.functions.when;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.jobs.cli.JobException;

/** Checks the label of a classification: exactly two distinct values, both present. */
public final class Labels {
    /**
     * The two classes of a label column, {@code low} mapped to 0 and {@code high} to 1.
     *
     * @param column the label column
     * @param low the smaller value
     * @param high the larger value
     */
    public record Binary(String column, double low, double high) {
        /** Whether the values are other than 0 and 1 and so are mapped. */
        public boolean mapped() {
            return low != 0 || high != 1;
        }

        /** {@code df} with the label as 0.0/1.0 doubles. */
        public Dataset<Row> apply(Dataset<Row> df) {
            return df.withColumn(column, when(org.tessera.spark.io.DataFrames.column(column).cast("double").equalTo(high), 1.0).otherwise(0.0));
        }
    }

    private Labels() {
    }

    /**
     * The two classes of {@code label} in {@code df} (a job that stops after three distinct values).
     *
     * @throws JobException when the label has one value only, or more than two
     */
    public static Binary binary(Dataset<Row> df, String label) {
        List<Row> values = df.select(org.tessera.spark.io.DataFrames.column(label).cast("double")).distinct().limit(3).collectAsList();
        if (values.size() > 2) {
            double[] v = values.stream().mapToDouble(r -> r.getDouble(0)).sorted().toArray();
            throw new JobException(String.format(Locale.ROOT, "label column '%s' has more than two values (%s, %s,"
                    + " %s, ...); logistic regression needs two classes, 0 and 1 or two other values (for a continuous"
                    + " label, use --model linear)", label, format(v[0]), format(v[1]), format(v[2])));
        }
        if (values.size() < 2) {
            String only = values.isEmpty() ? "no value" : "only the value " + format(values.get(0).getDouble(0));
            throw new JobException("label column '" + label + "' has " + only + "; logistic regression needs rows of"
                    + " both classes");
        }
        double a = values.get(0).getDouble(0);
        double b = values.get(1).getDouble(0);
        return new Binary(label, Math.min(a, b), Math.max(a, b));
    }

    /** A label value as written in a file: no decimals for whole numbers. */
    public static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}

package org.tessera.jobs.classify;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_position;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.data.Labels;

/**
 * The classes of a label column, sorted (numerically for a numeric column, by text otherwise), and
 * the mapping of label values to class indices 0..k-1.
 *
 * @param column the label column
 * @param labels the label of each class index, as text
 * @param numeric whether the column is numeric
 */
record ClassLabels(String column, List<String> labels, boolean numeric) {
    /** The column the class index is written to. */
    static final String CLASS = "__tessera_class";
    /** More distinct values than this is taken for a continuous label. */
    static final int MAX_CLASSES = 10_000;

    /** The classes of {@code label} in the training rows {@code df} (nulls already removed or rejected). */
    static ClassLabels of(Dataset<Row> df, String label) {
        DataType t = df.schema().apply(label).dataType();
        boolean numeric = t instanceof NumericType;
        if (!numeric && !(t instanceof StringType) && !t.simpleString().equals("boolean")) {
            throw new JobException("label column '" + label + "' has type " + t.simpleString() + "; a class label must"
                    + " be text or a number");
        }
        List<Row> distinct = df.select(key(label, numeric)).distinct().limit(MAX_CLASSES + 1).collectAsList();
        if (distinct.size() > MAX_CLASSES) {
            throw new JobException("label column '" + label + "' has more than " + MAX_CLASSES + " distinct values;"
                    + " a classifier needs a categorical label (for a continuous one, use the regression job)");
        }
        List<String> labels = new ArrayList<>();
        if (numeric) {
            distinct.stream().mapToDouble(r -> r.getDouble(0)).sorted().forEach(v -> labels.add(Labels.format(v)));
        } else {
            distinct.stream().map(r -> r.getString(0)).sorted().forEach(labels::add);
        }
        if (labels.size() < 2) {
            throw new JobException("label column '" + label + "' has " + (labels.isEmpty() ? "no value"
                    : "only the value '" + labels.get(0) + "'") + "; a classifier needs rows of at least two classes");
        }
        return new ClassLabels(label, labels, numeric);
    }

    private static Column key(String label, boolean numeric) {
        // try_cast: a label that is not a number (a test file's 'NA') is then an unknown class, reported as such
        Column c = org.tessera.spark.io.DataFrames.column(label);
        return numeric ? c.try_cast("double") : c.cast("string");
    }

    /**
     * {@code df} with the class index of each row in column {@link #CLASS} (a double), checking that
     * every label is one of the training classes; {@code what} names the data in messages.
     */
    Dataset<Row> index(Dataset<Row> df, String what) {
        Column[] values = labels.stream().map(s -> numeric ? lit(Double.parseDouble(s)) : lit(s)).toArray(Column[]::new);
        Column pos = array_position(array(values), key(column, numeric));
        Dataset<Row> out = df.withColumn(CLASS, pos.minus(1).cast("double"));
        List<Row> unknown = out.filter(col(CLASS).lt(0).or(col(CLASS).isNull())).select(org.tessera.spark.io.DataFrames.column(column)).limit(1)
                .collectAsList();
        if (!unknown.isEmpty()) {
            Object v = unknown.get(0).get(0);
            String shown = v == null ? "null" : v instanceof Number num ? Labels.format(num.doubleValue()) : v.toString();
            throw new JobException(what + ": label '" + shown + "' in column '" + column + "' is not one of the "
                    + labels.size() + " classes of the training data (" + String.join(", ", labels.subList(0,
                            Math.min(20, labels.size()))) + (labels.size() > 20 ? ", ..." : "") + ")");
        }
        return out;
    }
}

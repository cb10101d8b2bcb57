package org.tessera.spark.ml;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.tessera.spark.BatchFunction;
import org.tessera.spark.BatchOptions;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.io.BatchMapper;
import org.tessera.spark.io.RowValues;

/**
 * A Spark ML {@link Transformer} that appends one column computed by a tensor function from its
 * input columns, batch by batch on the executors ({@link org.tessera.spark.TesseraSession#mapBatches}).
 *
 * <pre>{@code
 * Pipeline p = new Pipeline().setStages(new PipelineStage[] {
 *     new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("features"),
 *     new TesseraTransformer().setInputCols("features").setOutputCol("score")
 *         .setFunction(x -> List.of(x.sum(1)), DataTypes.DoubleType)});
 * Dataset<Row> scored = p.fit(df).transform(df);
 * }</pre>
 *
 * <p>The function is a field, not a param: it is copied by {@link #copy} but not saved by ML
 * persistence (this stage is not {@code MLWritable}).
 */
public class TesseraTransformer extends Transformer {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final StringArrayParam inputCols;
    private final Param<String> outputCol;
    private final IntParam batchRows;
    private BatchFunction function;
    private DataType outputType;
    private DataFrameOptions dataFrameOptions = DataFrameOptions.defaults();

    /** A transformer with a random uid. */
    public TesseraTransformer() {
        this(Identifiable.randomUID("tesseraTransformer"));
    }

    /** A transformer with the given uid. */
    public TesseraTransformer(String uid) {
        this.uid = uid;
        this.inputCols = new StringArrayParam(this, "inputCols", "input columns: numeric columns, or one"
                + " array<float|double> or ML Vector column");
        this.outputCol = new Param<>(this, "outputCol", "output column name");
        this.batchRows = new IntParam(this, "batchRows", "rows per batch (0: spark.tessera.batch.rows)",
                ParamValidators.gtEq(0));
        setDefault(batchRows, 0);
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The input columns param. */
    public StringArrayParam inputCols() {
        return inputCols;
    }

    /** The output column param. */
    public Param<String> outputCol() {
        return outputCol;
    }

    /** The rows-per-batch param. */
    public IntParam batchRows() {
        return batchRows;
    }

    /** Sets the input columns. */
    public TesseraTransformer setInputCols(String... cols) {
        set(inputCols, cols);
        return this;
    }

    /** Sets the output column. */
    public TesseraTransformer setOutputCol(String col) {
        set(outputCol, col);
        return this;
    }

    /** Sets the rows per batch (0: {@code spark.tessera.batch.rows}). */
    public TesseraTransformer setBatchRows(int rows) {
        set(batchRows, rows);
        return this;
    }

    /**
     * Sets the function and the type of the column it fills: a scalar type for a {@code [rows]}
     * tensor, an array type for {@code [rows, k]}; the function returns one tensor.
     */
    public TesseraTransformer setFunction(BatchFunction fn, DataType type) {
        this.function = fn;
        this.outputType = type;
        return this;
    }

    /** Sets how input rows are converted (dtype, nulls, NaNs); errors on nulls and NaNs by default. */
    public TesseraTransformer setDataFrameOptions(DataFrameOptions o) {
        this.dataFrameOptions = o;
        return this;
    }

    /** The input columns. */
    public String[] getInputCols() {
        return $(inputCols);
    }

    /** The output column. */
    public String getOutputCol() {
        return $(outputCol);
    }

    /**
     * The input schema with the output field appended, after checking that the input columns can be
     * converted and the output column is new and of a type a tensor fills.
     */
    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(inputCols) || !isDefined(outputCol)) {
            throw new IllegalArgumentException("TesseraTransformer " + uid + ": set the input columns and the output"
                    + " column (setInputCols, setOutputCol)");
        }
        if (function == null || outputType == null) {
            throw new IllegalArgumentException("TesseraTransformer " + uid + ": no function; call setFunction(fn,"
                    + " outputType)");
        }
        RowValues.of("TesseraTransformer " + uid, schema, getInputCols(), dataFrameOptions);
        StructType out = new StructType(new StructField[] {DataTypes.createStructField(getOutputCol(), outputType,
                false)});
        BatchMapper.checkOutputs(schema, out);
        StructField[] fields = Arrays.copyOf(schema.fields(), schema.fields().length + 1);
        fields[fields.length - 1] = out.fields()[0];
        return new StructType(fields);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = transformSchema(dataset.schema());
        StructType out = new StructType(new StructField[] {schema.fields()[schema.fields().length - 1]});
        BatchOptions o = BatchOptions.defaults().dataFrameOptions(dataFrameOptions).batchRows((Integer) $(batchRows));
        return BatchMapper.map(dataset.sparkSession(), dataset.toDF(), List.of(getInputCols()), function, out, o);
    }

    @Override
    public TesseraTransformer copy(ParamMap extra) {
        TesseraTransformer c = new TesseraTransformer(uid);
        c.function = function;
        c.outputType = outputType;
        c.dataFrameOptions = dataFrameOptions;
        return copyValues(c, extra);
    }
}

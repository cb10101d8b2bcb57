package org.tessera.jobs.classify;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.arrow.TensorFiles;
import org.tessera.arrow.TesseraIOException;
import org.tessera.jobs.report.Json;

/**
 * A trained classifier: multinomial logistic regression ({@code softmax}, no hidden layer) or a
 * multilayer perceptron with ReLU between its layers ({@code mlp}), together with everything needed
 * to score raw rows: the feature columns in order, the standardization learnt from the training
 * data and the label of each class index.
 *
 * <p>The parameters are held as plain Java arrays, so that the model is {@link Serializable} and can
 * be shipped to Spark executors inside a scoring function; tensors are built from them on each use.
 * Layer {@code i} maps {@code layers[i]} inputs to {@code layers[i+1]} outputs as
 * {@code x · wᵢ + bᵢ}, {@code wᵢ} of shape {@code [layers[i], layers[i+1]]} (row-major).
 *
 * <pre>{@code
 * ClassifierModel m = ClassifierModel.load(Path.of("classify-out/model"));
 * Tensor raw = Tessera.fromArray(rows, n, m.numFeatures());   // unstandardized, in featureColumns() order
 * long[] cls = m.predict(raw).toLongArray();                   // class indices; m.labels().get(i) names them
 * }</pre>
 *
 * <p>On disk a model is a folder:
 * <pre>
 *   model.json   {"format": "tessera-classifier", "version": 1, "model": "softmax" | "mlp",
 *                 "layers": [d, h1, ..., k], "activation": "relu", "dtype": "float32" | "float64",
 *                 "features": [...] or "featureArrayColumn": "...", "labels": [...],
 *                 "labelType": "string" | "numeric", "standardize": {"mean": [...], "std": [...]},
 *                 "parameters": ["w0.arrow", "b0.arrow", ...]}
 *   w0.arrow, b0.arrow, ...   one tensor per parameter (arrow-io's TensorFiles), in the model dtype
 * </pre>
 */
public final class ClassifierModel implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The {@code format} field of model.json. */
    public static final String FORMAT = "tessera-classifier";
    /** The {@code version} field of model.json this class writes and reads. */
    public static final int VERSION = 1;
    /** The name of the description file in a model folder. */
    public static final String DESCRIPTION = "model.json";
    /** The only activation between layers. */
    public static final String ACTIVATION = "relu";

    private final String kind;
    private final int[] layers;
    private final DType dtype;
    private final List<String> features;
    private final String featureArrayColumn;
    private final List<String> labels;
    private final String labelType;
    private final double[] mean;
    private final double[] std;
    private final double[][] weights;
    private final double[][] biases;

    private ClassifierModel(String kind, int[] layers, DType dtype, List<String> features, String featureArrayColumn,
            List<String> labels, String labelType, double[] mean, double[] std, double[][] weights, double[][] biases) {
        this.kind = kind;
        this.layers = layers.clone();
        this.dtype = dtype;
        this.features = features == null ? null : List.copyOf(features);
        this.featureArrayColumn = featureArrayColumn;
        this.labels = List.copyOf(labels);
        this.labelType = labelType;
        this.mean = mean.clone();
        this.std = std.clone();
        this.weights = deepCopy(weights);
        this.biases = deepCopy(biases);
        validate();
    }

    /**
     * A model from its architecture, parameters and metadata.
     *
     * @param layers sizes {@code [d, h1, ..., k]}: {@code [d, k]} for softmax regression
     * @param dtype the dtype the model computes in (float32 or float64)
     * @param features the feature column names in order (size d), or null when trained from one array column
     * @param featureArrayColumn the array or ML Vector column the features came from, or null
     * @param labels the label of each class index (size k), as strings
     * @param labelType "string" or "numeric": what the label column held
     * @param mean the training mean of each raw feature (size d)
     * @param std the training standard deviation of each raw feature (size d); a 0 is stored as 1
     * @param parameters {@code w0, b0, w1, b1, ...}: {@code wᵢ} of shape [layers[i], layers[i+1]], {@code bᵢ} of
     *     shape [layers[i+1]]
     * @throws IllegalArgumentException naming what is inconsistent
     */
    public static ClassifierModel of(int[] layers, DType dtype, List<String> features, String featureArrayColumn,
            List<String> labels, String labelType, double[] mean, double[] std, List<Tensor> parameters) {
        if (parameters.size() != 2 * (layers.length - 1)) {
            throw new IllegalArgumentException("classifier: " + parameters.size() + " parameter tensors for layers "
                    + Arrays.toString(layers) + "; expected " + 2 * (layers.length - 1) + " (w0, b0, w1, b1, ...)");
        }
        double[][] w = new double[layers.length - 1][];
        double[][] b = new double[layers.length - 1][];
        for (int i = 0; i + 1 < layers.length; i++) {
            Tensor wi = parameters.get(2 * i);
            Tensor bi = parameters.get(2 * i + 1);
            requireShape("w" + i, wi.shape().dims(), new long[] {layers[i], layers[i + 1]});
            requireShape("b" + i, bi.shape().dims(), new long[] {layers[i + 1]});
            w[i] = wi.detach().toDoubleArray();
            b[i] = bi.detach().toDoubleArray();
        }
        return new ClassifierModel(layers.length == 2 ? "softmax" : "mlp", layers, dtype, features, featureArrayColumn,
                labels, labelType, mean, std, w, b);
    }

    /**
     * A model from plain arrays ({@code weights[i]} row-major [layers[i], layers[i+1]], {@code biases[i]}
     * of size layers[i+1]); otherwise as {@link #of}.
     */
    public static ClassifierModel ofArrays(int[] layers, DType dtype, List<String> features, String featureArrayColumn,
            List<String> labels, String labelType, double[] mean, double[] std, double[][] weights, double[][] biases) {
        return new ClassifierModel(layers.length == 2 ? "softmax" : "mlp", layers, dtype, features, featureArrayColumn,
                labels, labelType, mean, std, weights, biases);
    }

    private static double[][] deepCopy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i] == null ? null : a[i].clone();
        }
        return c;
    }

    private static void requireShape(String name, long[] actual, long[] expected) {
        if (!Arrays.equals(actual, expected)) {
            throw new IllegalArgumentException("classifier: parameter " + name + " has shape " + Arrays.toString(actual)
                    + "; the layers need " + Arrays.toString(expected));
        }
    }

    private void validate() {
        if (!kind.equals("softmax") && !kind.equals("mlp")) {
            throw new IllegalArgumentException("classifier: unknown model '" + kind + "'; expected softmax or mlp");
        }
        if (layers.length < 2 || (kind.equals("softmax") != (layers.length == 2))) {
            throw new IllegalArgumentException("classifier: layers " + Arrays.toString(layers) + " do not fit model '"
                    + kind + "' (softmax: [d, k]; mlp: [d, h1, ..., k])");
        }
        for (int size : layers) {
            if (size < 1) {
                throw new IllegalArgumentException("classifier: layer sizes must be at least 1, got "
                        + Arrays.toString(layers));
            }
        }
        if (dtype != DType.FLOAT32 && dtype != DType.FLOAT64) {
            throw new IllegalArgumentException("classifier: dtype must be float32 or float64, got " + dtype);
        }
        int d = layers[0];
        int k = layers[layers.length - 1];
        if ((features == null) == (featureArrayColumn == null)) {
            throw new IllegalArgumentException("classifier: give either the feature columns or the feature array"
                    + " column, not " + (features == null ? "neither" : "both"));
        }
        if (features != null && features.size() != d) {
            throw new IllegalArgumentException("classifier: " + features.size() + " feature columns but the first layer"
                    + " has " + d + " inputs");
        }
        if (k < 2 || labels.size() != k) {
            throw new IllegalArgumentException("classifier: " + labels.size() + " labels for " + k
                    + " outputs; a classifier needs one label per output and at least 2");
        }
        if (!labelType.equals("string") && !labelType.equals("numeric")) {
            throw new IllegalArgumentException("classifier: labelType must be string or numeric, got '" + labelType
                    + "'");
        }
        if (mean.length != d || std.length != d) {
            throw new IllegalArgumentException("classifier: standardization has " + mean.length + " means and "
                    + std.length + " standard deviations for " + d + " features");
        }
        for (int j = 0; j < d; j++) {
            if (!Double.isFinite(mean[j]) || !(std[j] > 0) || !Double.isFinite(std[j])) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "classifier: feature %d (%s) has mean %s"
                        + " and standard deviation %s; expected finite values and a deviation above 0", j,
                        features != null ? features.get(j) : featureArrayColumn + "[" + j + "]", mean[j], std[j]));
            }
        }
        if (weights.length != layers.length - 1 || biases.length != layers.length - 1) {
            throw new IllegalArgumentException("classifier: " + weights.length + " weight and " + biases.length
                    + " bias arrays for " + (layers.length - 1) + " layers");
        }
        for (int i = 0; i + 1 < layers.length; i++) {
            long wn = (long) layers[i] * layers[i + 1];
            if (weights[i] == null || weights[i].length != wn) {
                throw new IllegalArgumentException("classifier: w" + i + " has " + (weights[i] == null ? 0
                        : weights[i].length) + " values; layers " + Arrays.toString(layers) + " need " + layers[i]
                        + "×" + layers[i + 1] + " = " + wn);
            }
            if (biases[i] == null || biases[i].length != layers[i + 1]) {
                throw new IllegalArgumentException("classifier: b" + i + " has " + (biases[i] == null ? 0
                        : biases[i].length) + " values; layers " + Arrays.toString(layers) + " need " + layers[i + 1]);
            }
        }
    }

    // ---------------------------------------------------------------- description

    /** "softmax" (multinomial logistic regression) or "mlp". */
    public String kind() {
        return kind;
    }

    /** The layer sizes {@code [d, h1, ..., k]}. */
    public int[] layers() {
        return layers.clone();
    }

    /** The dtype the model computes in. */
    public DType dtype() {
        return dtype;
    }

    /** The feature columns in the order of the model's inputs, or null when it reads one array column. */
    public List<String> featureColumns() {
        return features;
    }

    /** The array or ML Vector column holding the features, or null when they are separate columns. */
    public String featureArrayColumn() {
        return featureArrayColumn;
    }

    /** The label of each class index. */
    public List<String> labels() {
        return labels;
    }

    /** "string" or "numeric": the type of the training label column. */
    public String labelType() {
        return labelType;
    }

    /** The number of input features d. */
    public int numFeatures() {
        return layers[0];
    }

    /** The number of classes k. */
    public int numClasses() {
        return layers[layers.length - 1];
    }

    /** The training mean of each raw feature. */
    public double[] mean() {
        return mean.clone();
    }

    /** The training standard deviation of each raw feature (1 for a constant one). */
    public double[] std() {
        return std.clone();
    }

    /** The weights of layer {@code i}, row-major [layers[i], layers[i+1]] (a copy). */
    public double[] weights(int i) {
        return weights[i].clone();
    }

    /** The biases of layer {@code i} (a copy). */
    public double[] biases(int i) {
        return biases[i].clone();
    }

    /** The parameters {@code w0, b0, w1, b1, ...} as new tensors in the model dtype. */
    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>();
        for (int i = 0; i + 1 < layers.length; i++) {
            p.add(Tessera.fromArray(weights[i], layers[i], layers[i + 1]).to(dtype));
            p.add(Tessera.fromArray(biases[i], layers[i + 1]).to(dtype));
        }
        return p;
    }

    // ---------------------------------------------------------------- scoring

    /**
     * Standardizes raw features ([n, d], any float dtype) with the training mean and deviation, in
     * the model dtype: {@code (x − mean) / std}.
     */
    public Tensor standardize(Tensor raw) {
        requireInput(raw);
        return standardize(raw, mean, std, dtype);
    }

    /**
     * {@code (raw − mean) / std} in {@code dtype}, local or distributed rows alike: the one formula that
     * training and scoring share.
     */
    public static Tensor standardize(Tensor raw, double[] mean, double[] std, DType dtype) {
        Tensor mu = Tessera.fromArray(mean, 1, mean.length).to(dtype);
        Tensor sd = Tessera.fromArray(std, 1, std.length).to(dtype);
        return raw.to(dtype).sub(mu).div(sd);
    }

    /** The class scores of raw rows: [n, d] unstandardized features → [n, k] logits in the model dtype. */
    public Tensor logits(Tensor rawFeatures) {
        return forward(standardize(rawFeatures), parameters());
    }

    /** The class probabilities of raw rows ([n, d] → [n, k], rows summing to 1). */
    public Tensor probabilities(Tensor raw) {
        return logits(raw).softmax(1);
    }

    /** The most probable class index of each raw row ([n, d] → [n], int64). */
    public Tensor predict(Tensor raw) {
        return logits(raw).argmax(1, false);
    }

    /**
     * The network on standardized inputs {@code x} ([n, d]) with parameters {@code w0, b0, ...}:
     * {@code relu(x·w0 + b0)·w1 + b1 ...}, no activation after the last layer. Differentiable in the
     * parameters, so training uses it too.
     */
    public static Tensor forward(Tensor x, List<Tensor> parameters) {
        Tensor h = x;
        int n = parameters.size() / 2;
        for (int i = 0; i < n; i++) {
            h = h.matmul(parameters.get(2 * i)).add(parameters.get(2 * i + 1));
            if (i + 1 < n) {
                h = h.relu();
            }
        }
        return h;
    }

    private void requireInput(Tensor raw) {
        if (raw.dim() != 2 || raw.size(1) != numFeatures()) {
            throw new IllegalArgumentException("classifier: expected raw features of shape [n, " + numFeatures()
                    + "], got " + raw.shape());
        }
        if (!raw.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("classifier: expected float32 or float64 features, got " + raw.dtype());
        }
    }

    // ---------------------------------------------------------------- files

    /** The description written to model.json. */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        m.put("model", kind);
        List<Integer> sizes = new ArrayList<>();
        for (int s : layers) {
            sizes.add(s);
        }
        m.put("layers", sizes);
        m.put("activation", ACTIVATION);
        m.put("dtype", dtype.toString());
        if (features != null) {
            m.put("features", features);
        } else {
            m.put("featureArrayColumn", featureArrayColumn);
        }
        m.put("labels", labels);
        m.put("labelType", labelType);
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("mean", mean);
        st.put("std", std);
        st.put("note", "features are scored as (x - mean) / std; a feature constant in the training data has std"
                + " stored as 1");
        m.put("standardize", st);
        List<String> files = new ArrayList<>();
        for (int i = 0; i + 1 < layers.length; i++) {
            files.add("w" + i + ".arrow");
            files.add("b" + i + ".arrow");
        }
        m.put("parameters", files);
        return m;
    }

    /**
     * Writes the model into folder {@code dir} (created if missing): model.json and one tensor file
     * per parameter.
     *
     * @throws java.io.UncheckedIOException if the folder cannot be written
     */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            List<Tensor> p = parameters();
            for (int i = 0; i < p.size(); i++) {
                TensorFiles.save(p.get(i), dir.resolve((i % 2 == 0 ? "w" : "b") + (i / 2) + ".arrow"));
            }
            Files.writeString(dir.resolve(DESCRIPTION), Json.write(describe()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("classifier: cannot write the model to " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Reads a model saved by {@link #save}, checking the description and every parameter's shape
     * and dtype against it.
     *
     * @throws IllegalArgumentException naming the file and what is wrong (missing file, another format or
     *     version, a shape that does not fit the layers)
     */
    public static ClassifierModel load(Path dir) {
        Path json = dir.resolve(DESCRIPTION);
        String text;
        try {
            text = Files.readString(json, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("classifier: no " + DESCRIPTION + " in " + dir + (Files.isDirectory(dir)
                    ? "" : " (the folder does not exist)") + "; expected a folder written by ClassifierModel.save");
        } catch (IOException e) {
            throw new IllegalArgumentException("classifier: cannot read " + json + ": " + e.getMessage(), e);
        }
        Description d;
        try {
            d = new Description(Json.parse(text), json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("classifier:") ? e.getMessage()
                    : "classifier: " + json + ": " + e.getMessage(), e);
        }
        String format = d.string("format");
        if (!FORMAT.equals(format)) {
            throw d.error("format is '" + format + "'; expected '" + FORMAT + "'");
        }
        int version = d.integer("version");
        if (version != VERSION) {
            throw d.error("version " + version + " is not supported; this build reads version " + VERSION);
        }
        String kind = d.string("model");
        int[] layers = d.integers("layers");
        String activation = d.string("activation");
        if (!ACTIVATION.equals(activation)) {
            throw d.error("activation '" + activation + "' is not supported; expected '" + ACTIVATION + "'");
        }
        DType dtype;
        String dt = d.string("dtype");
        if ("float32".equals(dt)) {
            dtype = DType.FLOAT32;
        } else if ("float64".equals(dt)) {
            dtype = DType.FLOAT64;
        } else {
            throw d.error("dtype '" + dt + "'; expected float32 or float64");
        }
        List<String> features = d.has("features") ? d.strings("features") : null;
        String arrayColumn = d.has("featureArrayColumn") ? d.string("featureArrayColumn") : null;
        List<String> labels = d.strings("labels");
        String labelType = d.string("labelType");
        Description st = d.object("standardize");
        double[] mean = st.doubles("mean");
        double[] std = st.doubles("std");
        List<String> files = d.strings("parameters");
        int nLayers = layers.length - 1;
        if (files.size() != 2 * nLayers) {
            throw d.error("lists " + files.size() + " parameter files for layers " + Arrays.toString(layers)
                    + "; expected " + 2 * nLayers);
        }
        double[][] w = new double[nLayers][];
        double[][] b = new double[nLayers][];
        for (int i = 0; i < files.size(); i++) {
            Path f = dir.resolve(files.get(i));
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("classifier: parameter file " + f + " (listed in " + json
                        + ") is missing");
            }
            Tensor t;
            try {
                t = TensorFiles.load(f);
            } catch (TesseraIOException e) {
                throw new IllegalArgumentException("classifier: " + e.getMessage(), e);
            }
            int layer = i / 2;
            long[] expected = i % 2 == 0 ? new long[] {layers[layer], layers[layer + 1]} : new long[] {layers[layer + 1]};
            if (!Arrays.equals(t.shape().dims(), expected)) {
                throw new IllegalArgumentException("classifier: " + f + " holds a tensor of shape " + t.shape()
                        + "; layers " + Arrays.toString(layers) + " need " + Arrays.toString(expected));
            }
            if (t.dtype() != dtype) {
                throw new IllegalArgumentException("classifier: " + f + " holds " + t.dtype() + " values; the model"
                        + " dtype is " + dtype);
            }
            (i % 2 == 0 ? w : b)[layer] = t.toDoubleArray();
        }
        try {
            return new ClassifierModel(kind, layers, dtype, features, arrayColumn, labels, labelType, mean, std, w, b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("classifier: " + json + ": " + e.getMessage().replaceFirst(
                    "^classifier: ", ""), e);
        }
    }

    /** Typed access to a parsed model.json object, with errors that name the file and the field. */
    private static final class Description {
        private final Map<?, ?> map;
        private final Path file;

        Description(Object parsed, Path file) {
            if (!(parsed instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("classifier: " + file + " does not hold a JSON object");
            }
            this.map = m;
            this.file = file;
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("classifier: " + file + ": " + what);
        }

        boolean has(String key) {
            return map.containsKey(key) && map.get(key) != null;
        }

        private Object get(String key) {
            if (!has(key)) {
                throw error("the field \"" + key + "\" is missing");
            }
            return map.get(key);
        }

        String string(String key) {
            if (get(key) instanceof String s) {
                return s;
            }
            throw error("\"" + key + "\" must be a string, got " + get(key));
        }

        int integer(String key) {
            Object v = get(key);
            if (v instanceof Double x && x == Math.rint(x) && Math.abs(x) <= Integer.MAX_VALUE) {
                return x.intValue();
            }
            throw error("\"" + key + "\" must be a whole number, got " + v);
        }

        Description object(String key) {
            Object v = get(key);
            if (!(v instanceof Map<?, ?>)) {
                throw error("\"" + key + "\" must be an object");
            }
            return new Description(v, file);
        }

        private List<?> list(String key) {
            if (get(key) instanceof List<?> l) {
                return l;
            }
            throw error("\"" + key + "\" must be a list");
        }

        List<String> strings(String key) {
            List<String> out = new ArrayList<>();
            for (Object o : list(key)) {
                if (!(o instanceof String s)) {
                    throw error("\"" + key + "\" must be a list of strings; it holds " + o);
                }
                out.add(s);
            }
            return out;
        }

        double[] doubles(String key) {
            List<?> l = list(key);
            double[] out = new double[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Double x)) {
                    throw error("\"" + key + "\" must be a list of numbers; element " + i + " is " + l.get(i));
                }
                out[i] = x;
            }
            return out;
        }

        int[] integers(String key) {
            double[] v = doubles(key);
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                if (v[i] != Math.rint(v[i]) || v[i] < 1 || v[i] > Integer.MAX_VALUE) {
                    throw error("\"" + key + "\" must hold whole numbers of at least 1; element " + i + " is " + v[i]);
                }
                out[i] = (int) v[i];
            }
            return out;
        }
    }
}

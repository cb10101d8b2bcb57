package org.tessera.arrow.ipc;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.arrow.FixedShapeTensorType;
import org.tessera.arrow.TesseraIOException;
import org.tessera.arrow.internal.ArrowLayouts;

/**
 * What a file's schema says about its one column and, for a Tessera file, about the tensor:
 * the element dtype, whether the column is a FixedSizeList of tensors (and their shape and
 * permutation), and for Tessera files the version, shape and batching. Every value is checked
 * against the others here, so that the reader only has to check the batches against it.
 *
 * @param version null for a file from another library, else {@link TensorFileFormat#VERSION_1} or
 *     {@link TensorFileFormat#VERSION}
 * @param shape the tensor's shape (Tessera files)
 * @param batch rows per batch (version 2) or elements per batch (version 1)
 * @param batches the declared number of batches (version 2)
 * @param crcs the data checksums of the batches (version 1)
 */
record ColumnLayout(DType dtype, boolean list, long listSize, long[] valueShape, int[] permutation, String version,
                    long[] shape, long batch, int batches, long[] crcs) {

    /** Field nodes that describe the column: one, or two for a list and its values. */
    int nodes() {
        return list ? 2 : 1;
    }

    /** The index of the values' data buffer among the batch's buffers. */
    int dataBuffer() {
        return list ? 2 : 1;
    }

    boolean tessera() {
        return version != null;
    }

    /** Whether the schema or its field carries any Tessera marker (the field name or a {@code tessera.} key). */
    static boolean marked(Schema schema) {
        if (hasTesseraKey(schema.getCustomMetadata())) {
            return true;
        }
        return schema.getFields().stream().anyMatch(f -> hasTesseraKey(f.getMetadata())
                || TensorFileFormat.FIELD.equals(f.getName()));
    }

    static boolean hasTesseraKey(Map<String, String> md) {
        return md != null && md.keySet().stream().anyMatch(k -> k != null && k.startsWith(TensorFileFormat.PREFIX));
    }

    /**
     * The layout of {@code schema}; {@code batchesMarked} says whether any record batch carries a
     * Tessera key, which makes the file a version 2 Tessera file whatever its schema says.
     */
    static ColumnLayout of(Schema schema, boolean batchesMarked) {
        List<Field> fields = schema.getFields();
        if (fields.size() != 1) {
            throw new IpcMessages.Malformed("holds " + fields.size() + " columns " + fields.stream().map(Field::getName)
                    .toList() + "; a tensor file holds exactly one (read tables with ArrowFileReader and"
                    + " ArrowTables or TensorColumns)");
        }
        Field f = fields.get(0);
        if (f.getDictionary() != null) {
            throw new IpcMessages.Malformed("column '" + f.getName() + "' is dictionary-encoded; dictionary-encoded"
                    + " columns are not supported");
        }
        ArrowType type = f.getType();
        DType dtype;
        long listSize = 1;
        long[] valueShape = null;
        int[] perm = null;
        boolean list = type instanceof FixedShapeTensorType || type instanceof ArrowType.FixedSizeList;
        if (list) {
            if (f.getChildren().size() != 1) {
                throw new IpcMessages.Malformed("column '" + f.getName() + "' is a FixedSizeList with "
                        + f.getChildren().size() + " children; expected 1");
            }
            Field child = f.getChildren().get(0);
            if (child.getDictionary() != null) {
                throw new IpcMessages.Malformed("the values of column '" + f.getName() + "' are dictionary-encoded;"
                        + " dictionary-encoded columns are not supported");
            }
            dtype = ArrowLayouts.dtypeOf(child.getType());
            if (dtype == null) {
                throw new IpcMessages.Malformed("column '" + f.getName() + "' has unsupported element type "
                        + child.getType() + "; supported: " + ArrowLayouts.SUPPORTED);
            }
            FixedShapeTensorType t;
            try {
                t = FixedShapeTensorType.of(f);
            } catch (TesseraIOException e) {
                throw new IpcMessages.Malformed(e.getMessage());
            }
            listSize = t.listSize();
            valueShape = t.shape();
            perm = t.permutation();
        } else {
            dtype = ArrowLayouts.dtypeOf(type);
            if (dtype == null) {
                throw new IpcMessages.Malformed("column '" + f.getName() + "' has unsupported Arrow type " + type
                        + "; supported: " + ArrowLayouts.SUPPORTED);
            }
        }
        if (!marked(schema) && !batchesMarked) {
            return new ColumnLayout(dtype, list, listSize, valueShape, perm, null, null, 0, 0, null);
        }
        Map<String, String> md = schema.getCustomMetadata() == null ? Map.of() : schema.getCustomMetadata();
        String version = md.get(TensorFileFormat.KEY_FORMAT);
        if (version == null) {
            throw new IpcMessages.Malformed("the file has Tessera markers but its schema has no "
                    + TensorFileFormat.KEY_FORMAT + " entry; the schema is damaged");
        }
        if (batchesMarked && !version.equals(TensorFileFormat.VERSION)) {
            throw new IpcMessages.Malformed("the record batches carry version " + TensorFileFormat.VERSION
                    + " checksums but the schema says " + TensorFileFormat.KEY_FORMAT + " "
                    + TensorFileFormat.abbreviate(version) + "; the file is damaged");
        }
        if (!version.equals(TensorFileFormat.VERSION) && !version.equals(TensorFileFormat.VERSION_1)) {
            throw new IpcMessages.Malformed("tensor file format version " + TensorFileFormat.abbreviate(version)
                    + "; this Tessera reads versions " + TensorFileFormat.VERSION_1 + " and " + TensorFileFormat.VERSION);
        }
        String fieldVersion = f.getMetadata() == null ? null : f.getMetadata().get(TensorFileFormat.KEY_FORMAT);
        if (!TensorFileFormat.FIELD.equals(f.getName()) || !version.equals(fieldVersion)) {
            throw new IpcMessages.Malformed("the column is named '" + f.getName() + "' with field "
                    + TensorFileFormat.KEY_FORMAT + " " + fieldVersion + "; a version " + version + " tensor file has '"
                    + TensorFileFormat.FIELD + "' with " + version + " (the schema is damaged)");
        }
        String d = md.getOrDefault(TensorFileFormat.KEY_DTYPE, "");
        if (!d.equals(dtype.toString())) {
            throw new IpcMessages.Malformed("metadata dtype " + TensorFileFormat.abbreviate(d)
                    + " does not match the column type " + type + " (" + dtype + ")");
        }
        return version.equals(TensorFileFormat.VERSION_1) ? version1(dtype, list, type, md)
                : version2(dtype, list, listSize, valueShape, perm, md);
    }

    private static ColumnLayout version1(DType dtype, boolean list, ArrowType type, Map<String, String> md) {
        if (list) {
            throw new IpcMessages.Malformed("a version 1 tensor file holds a flat column, found " + type);
        }
        String check = md.getOrDefault(TensorFileFormat.KEY_CHECK, "");
        if (!check.equals(Long.toHexString(TensorFileFormat.check(md)))) {
            throw new IpcMessages.Malformed("the Tessera metadata fails its checksum (" + TensorFileFormat.KEY_CHECK
                    + " " + TensorFileFormat.abbreviate(check) + "); the dtype, shape or batch checksums are damaged");
        }
        long[] shape = shape(md);
        long batch = positive(md, TensorFileFormat.KEY_BATCH);
        long[] crcs;
        try {
            crcs = TensorFileFormat.parseCrcs(md.getOrDefault(TensorFileFormat.KEY_CRC, ""));
        } catch (IllegalArgumentException e) {
            throw new IpcMessages.Malformed("metadata: " + e.getMessage());
        }
        return new ColumnLayout(dtype, false, 1, null, null, TensorFileFormat.VERSION_1, shape, batch, 0, crcs);
    }

    private static ColumnLayout version2(DType dtype, boolean list, long listSize, long[] valueShape, int[] perm,
                                         Map<String, String> md) {
        long[] shape = shape(md);
        long batch = positive(md, TensorFileFormat.KEY_BATCH);
        long batches = positive(md, TensorFileFormat.KEY_BATCHES);
        if (batches > Integer.MAX_VALUE) {
            throw new IpcMessages.Malformed("metadata declares " + batches + " record batches");
        }
        long rowElements = 1;
        for (int i = 1; i < shape.length; i++) {
            rowElements = Math.multiplyExact(rowElements, shape[i]);
        }
        boolean tensorColumn = shape.length >= 2 && rowElements <= Integer.MAX_VALUE;
        if (list != tensorColumn) {
            throw new IpcMessages.Malformed("shape " + Shape.of(shape) + " is saved as "
                    + (tensorColumn ? "an " + FixedShapeTensorType.NAME + " column" : "a flat column")
                    + " but the column is " + (list ? "a list" : "flat"));
        }
        if (list && (perm != null || !Arrays.equals(valueShape, Arrays.copyOfRange(shape, 1, shape.length)))) {
            throw new IpcMessages.Malformed("the column's " + FixedShapeTensorType.NAME + " shape "
                    + Arrays.toString(valueShape) + (perm == null ? "" : " with permutation " + Arrays.toString(perm))
                    + " does not match the tensor shape " + Shape.of(shape));
        }
        return new ColumnLayout(dtype, list, listSize, valueShape, null, TensorFileFormat.VERSION, shape, batch,
                (int) batches, null);
    }

    private static long[] shape(Map<String, String> md) {
        try {
            long[] shape = TensorFileFormat.parseShape(md.getOrDefault(TensorFileFormat.KEY_SHAPE, "missing"));
            long n = 1;
            for (long x : shape) {
                n = Math.multiplyExact(n, x);
            }
            return shape;
        } catch (ArithmeticException e) {
            throw new IpcMessages.Malformed("metadata shape " + md.get(TensorFileFormat.KEY_SHAPE)
                    + " has more than 2^63-1 elements");
        } catch (IllegalArgumentException e) {
            throw new IpcMessages.Malformed("metadata: " + e.getMessage());
        }
    }

    private static long positive(Map<String, String> md, String key) {
        String s = md.getOrDefault(key, "missing");
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IpcMessages.Malformed("metadata " + key + " " + TensorFileFormat.abbreviate(s)
                    + " is not an integer");
        }
        if (v <= 0) {
            throw new IpcMessages.Malformed("metadata " + key + " " + v + " is not positive");
        }
        return v;
    }
}

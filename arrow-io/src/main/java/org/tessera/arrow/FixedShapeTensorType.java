package org.tessera.arrow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;

import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Arrow's canonical extension type {@code arrow.fixed_shape_tensor}: a column whose every value
 * is a tensor of one fixed shape, stored as a {@code FixedSizeList} of the element type.
 *
 * <p>The serialized metadata follows the Arrow specification exactly, a JSON object
 * {@code {"shape":[2,3],"dim_names":["H","W"],"permutation":[1,0]}} where {@code shape} is the
 * physical (row-major) shape of each value, {@code dim_names} (optional) names the physical
 * dims, and {@code permutation} (optional) maps logical dim {@code i} to physical dim
 * {@code permutation[i]}, so the logical shape is {@code shape[permutation[i]]}. Columns written
 * with this type read as {@code FixedShapeTensorArray} in pyarrow and as the same extension in the
 * C++ and JavaScript libraries, and theirs read here.
 *
 * <p>The type is registered with Arrow's {@link ExtensionTypeRegistry} when this module's
 * classes load, so that IPC readers build {@link FixedShapeTensorVector}s for such columns.
 */
public final class FixedShapeTensorType extends ArrowType.ExtensionType {
    /** The extension name in the Arrow field metadata. */
    public static final String NAME = "arrow.fixed_shape_tensor";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile boolean registered;

    private final long[] shape;
    private final java.util.List<String> dimNames;
    private final int[] permutation;
    private final int listSize;

    /**
     * A type for values of physical shape {@code shape}; {@code dimNames} and {@code permutation}
     * may be null (absent from the metadata).
     *
     * @throws IllegalArgumentException for a negative dim, a list size over 2^31-1, names of the
     *     wrong count, or a permutation that is not one of {@code 0..rank-1}
     */
    public FixedShapeTensorType(long[] shape, java.util.List<String> dimNames, int[] permutation) {
        String problem = problem(shape, dimNames, permutation);
        if (problem != null) {
            throw new IllegalArgumentException(NAME + ": " + problem);
        }
        this.shape = shape.clone();
        this.dimNames = dimNames == null ? null : java.util.List.copyOf(dimNames);
        this.permutation = permutation == null ? null : permutation.clone();
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        this.listSize = (int) n;
    }

    /** Registers the type with Arrow's extension registry (done once, automatically). */
    public static void register() {
        if (!registered) {
            synchronized (FixedShapeTensorType.class) {
                if (!registered) {
                    ExtensionTypeRegistry.register(new FixedShapeTensorType(new long[] {1}, null, null));
                    registered = true;
                }
            }
        }
    }

    private static String problem(long[] shape, java.util.List<String> dimNames, int[] permutation) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                return "shape " + Arrays.toString(shape) + " has a negative dimension at " + i;
            }
            if (shape[i] != 0 && n > Integer.MAX_VALUE / shape[i]) {
                return "shape " + Arrays.toString(shape) + " holds more than " + Integer.MAX_VALUE
                        + " elements, the largest FixedSizeList";
            }
            n *= shape[i];
        }
        if (dimNames != null && dimNames.size() != shape.length) {
            return "dim_names " + dimNames + " has " + dimNames.size() + " names for " + shape.length + " dimensions";
        }
        if (dimNames != null && dimNames.contains(null)) {
            return "dim_names " + dimNames + " contains null";
        }
        if (permutation != null) {
            if (permutation.length != shape.length) {
                return "permutation " + Arrays.toString(permutation) + " has " + permutation.length + " entries for "
                        + shape.length + " dimensions";
            }
            boolean[] seen = new boolean[shape.length];
            for (int p : permutation) {
                if (p < 0 || p >= shape.length || seen[p]) {
                    return "permutation " + Arrays.toString(permutation) + " is not a permutation of 0.."
                            + (shape.length - 1);
                }
                seen[p] = true;
            }
        }
        return null;
    }

    /** The physical (row-major) shape of each value, as in the metadata. */
    public long[] shape() {
        return shape.clone();
    }

    /** The physical dims' names, or null when the metadata has none. */
    public java.util.List<String> dimNames() {
        return dimNames;
    }

    /** The permutation, or null when absent (the identity). */
    public int[] permutation() {
        return permutation == null ? null : permutation.clone();
    }

    /** The shape of each value as it is meant to be seen: {@code shape[permutation[i]]}. */
    public long[] logicalShape() {
        if (permutation == null) {
            return shape.clone();
        }
        long[] out = new long[shape.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = shape[permutation[i]];
        }
        return out;
    }

    /** The logical dims' names ({@code dim_names[permutation[i]]}), or null. */
    public java.util.List<String> logicalDimNames() {
        if (dimNames == null || permutation == null) {
            return dimNames;
        }
        java.util.List<String> out = new ArrayList<>();
        for (int p : permutation) {
            out.add(dimNames.get(p));
        }
        return Collections.unmodifiableList(out);
    }

    /** Elements per value: the product of the shape. */
    public int listSize() {
        return listSize;
    }

    @Override
    public ArrowType storageType() {
        return new ArrowType.FixedSizeList(listSize);
    }

    @Override
    public String extensionName() {
        return NAME;
    }

    @Override
    public boolean extensionEquals(ExtensionType other) {
        return other instanceof FixedShapeTensorType o && Arrays.equals(shape, o.shape)
                && Objects.equals(dimNames, o.dimNames) && Arrays.equals(permutation, o.permutation);
    }

    /** The metadata JSON, for example {@code {"shape":[2,3]}}. */
    @Override
    public String serialize() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode s = root.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        if (dimNames != null) {
            ArrayNode names = root.putArray("dim_names");
            dimNames.forEach(names::add);
        }
        if (permutation != null) {
            ArrayNode p = root.putArray("permutation");
            for (int i : permutation) {
                p.add(i);
            }
        }
        return root.toString();
    }

    /**
     * Parses the metadata of a field with storage type {@code storageType}.
     *
     * @throws TesseraIOException if the storage is not a FixedSizeList, the JSON is malformed, or
     *     the shape's product differs from the list size
     */
    @Override
    public ArrowType deserialize(ArrowType storageType, String serializedData) {
        return parse(storageType, serializedData, "field metadata");
    }

    /** As {@link #deserialize}, naming {@code source} in errors. */
    static FixedShapeTensorType parse(ArrowType storageType, String json, String source) {
        if (!(storageType instanceof ArrowType.FixedSizeList fsl)) {
            throw new TesseraIOException(source, NAME + " needs FixedSizeList storage, got " + storageType);
        }
        if (json == null || json.isEmpty()) {
            throw new TesseraIOException(source, NAME + " metadata is missing; expected JSON such as {\"shape\":[2,3]}");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new TesseraIOException(source, NAME + " metadata is not valid JSON: " + abbreviate(json), e);
        }
        if (root == null || !root.isObject()) {
            throw new TesseraIOException(source, NAME + " metadata must be a JSON object, got " + abbreviate(json));
        }
        long[] shape = longs(root.get("shape"), "shape", true, json, source);
        long[] perm = longs(root.get("permutation"), "permutation", false, json, source);
        java.util.List<String> names = null;
        JsonNode n = root.get("dim_names");
        if (n != null && !n.isNull()) {
            if (!n.isArray()) {
                throw new TesseraIOException(source, NAME + " metadata: dim_names must be an array of strings in "
                        + abbreviate(json));
            }
            names = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw new TesseraIOException(source, NAME + " metadata: dim_names must hold strings, found " + e);
                }
                names.add(e.asText());
            }
        }
        int[] p = null;
        if (perm != null) {
            p = new int[perm.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = perm[i] < 0 || perm[i] > shape.length ? -1 : (int) perm[i];
            }
        }
        String problem = problem(shape, names, p);
        if (problem != null) {
            throw new TesseraIOException(source, NAME + " metadata " + abbreviate(json) + ": " + problem);
        }
        FixedShapeTensorType t = new FixedShapeTensorType(shape, names, p);
        if (t.listSize != fsl.getListSize()) {
            throw new TesseraIOException(source, NAME + " shape " + Arrays.toString(shape) + " holds " + t.listSize
                    + " elements but the FixedSizeList storage has list size " + fsl.getListSize());
        }
        return t;
    }

    /**
     * The tensor type of a column field: the field's own type when Arrow built it from the
     * registered extension, the parsed extension metadata of a FixedSizeList field that carries it,
     * or 1-D values of the list size for a plain FixedSizeList.
     *
     * @throws TesseraIOException for another type, another extension, or malformed metadata
     */
    public static FixedShapeTensorType of(org.apache.arrow.vector.types.pojo.Field field) {
        String source = "field '" + field.getName() + "'";
        if (field.getType() instanceof FixedShapeTensorType t) {
            return t;
        }
        if (!(field.getType() instanceof ArrowType.FixedSizeList fsl)) {
            throw new TesseraIOException(source, "expected an " + NAME + " or FixedSizeList column, got "
                    + field.getType());
        }
        java.util.Map<String, String> md = field.getMetadata();
        String ext = md == null ? null : md.get(EXTENSION_METADATA_KEY_NAME);
        if (ext == null) {
            return new FixedShapeTensorType(new long[] {fsl.getListSize()}, null, null);
        }
        if (!ext.equals(NAME)) {
            throw new TesseraIOException(source, "has extension type '" + ext + "'; expected " + NAME);
        }
        return parse(fsl, md.get(EXTENSION_METADATA_KEY_METADATA), source);
    }

    private static long[] longs(JsonNode n, String key, boolean required, String json, String source) {
        if (n == null || n.isNull()) {
            if (required) {
                throw new TesseraIOException(source, NAME + " metadata has no \"" + key + "\" array: "
                        + abbreviate(json));
            }
            return null;
        }
        if (!n.isArray()) {
            throw new TesseraIOException(source, NAME + " metadata: \"" + key + "\" must be an array of integers in "
                    + abbreviate(json));
        }
        if (n.size() > 64) {
            throw new TesseraIOException(source, NAME + " metadata: \"" + key + "\" has " + n.size()
                    + " entries; at most 64 dimensions are supported");
        }
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = n.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToLong()) {
                throw new TesseraIOException(source, NAME + " metadata: \"" + key + "\" entry " + i + " is " + e
                        + "; expected an integer");
            }
            out[i] = e.asLong();
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    @Override
    public FieldVector getNewVector(String name, FieldType fieldType, BufferAllocator allocator) {
        FieldType storage = new FieldType(fieldType.isNullable(), storageType(), fieldType.getDictionary(),
                fieldType.getMetadata());
        return new FixedShapeTensorVector(name, allocator, this, fieldType.isNullable(),
                new FixedSizeListVector(name, allocator, storage, null));
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), Arrays.hashCode(shape), dimNames, Arrays.hashCode(permutation));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FixedShapeTensorType t && extensionEquals(t);
    }

    /** Prints the name and metadata, for example {@code arrow.fixed_shape_tensor{"shape":[2,3]}}. */
    @Override
    public String toString() {
        return NAME + serialize();
    }
}

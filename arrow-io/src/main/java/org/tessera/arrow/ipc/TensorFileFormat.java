package org.tessera.arrow.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.arrow.FixedShapeTensorType;
import org.tessera.arrow.internal.ArrowLayouts;

/**
 * The byte layout of a Tessera tensor file: a standard Arrow IPC file or stream holding one
 * tensor in one column, its dtype and shape in the schema metadata, every message checksummed.
 * This class owns the layout; the writer and reader follow it.
 *
 * <pre>
 *  file:   "ARROW1" 00 00 | schema | batch 0 | ... | batch m-1 | EOS | footer | int32 footer length | "ARROW1"
 *  stream:                  schema | batch 0 | ... | batch m-1 | EOS                     (nothing after EOS)
 *
 *  message = FF FF FF FF | int32 metadata length L | flatbuffer Message (L bytes, padded to 8) | body
 *            (a record batch's metadata is padded with zeros so that its body starts at a multiple of
 *            64 bytes of the file: the data, first in the body, can be mapped as 64-byte aligned memory)
 *  EOS     = FF FF FF FF | 00 00 00 00
 *
 *  column "tessera_tensor" (not nullable), field metadata tessera.format "2":
 *    rank 0 or 1:   the dtype's Arrow type (FloatingPoint SINGLE/DOUBLE, Int 32/64 signed, Bool);
 *                   one row per element (a 0-d tensor is one row)
 *    rank k >= 2:   arrow.fixed_shape_tensor {"shape":[d1,...,dk-1]} over FixedSizeList(d1*...*dk-1)
 *                   of a non-nullable child "item" of the dtype's Arrow type; one row per index of dim 0
 *  schema metadata:
 *    tessera.format   "2"            this layout's version
 *    tessera.dtype    "float32" ...  the tensor's dtype
 *    tessera.shape    "[2,3,4]"      JSON array of dims ("[]" for a 0-d tensor)
 *    tessera.batch    "65536"        rows per record batch (the last may hold fewer); by default a tensor of
 *                                    up to DEFAULT_BATCH_BYTES is one batch, so that it loads mapped
 *    tessera.batches  "3"            the number of record batches m, at least 1 (an empty tensor has one
 *                                    batch of 0 rows)
 *  batch i: rows [i * batch, min((i + 1) * batch, rows)); field nodes (rows, 0) [and (rows * list size, 0)];
 *           buffers: validity (0 bytes) [, child validity (0 bytes)], data (little-endian values in row-major
 *           order; bool bit-packed, least significant bit first); the Message's custom_metadata holds one entry
 *             tessera.crc32c  "hhhhhhhh,dddddddd"
 *           dddddddd: CRC-32C of the data buffer's bytes;
 *           hhhhhhhh: CRC-32C of  int64 s | int32 i | int32 m | the batch's prefix and metadata bytes (8 + L)
 *                     with the 17 characters of this value read as "00000000,00000000",
 *                     where s is the CRC-32C of the schema message's prefix and metadata bytes (little-endian)
 * </pre>
 *
 * <p>So every byte that the reader uses is covered: the schema message through {@code s}, which
 * every batch checksum includes; each batch's header (its length, field nodes, buffer offsets
 * and lengths, body length, version, compression) byte for byte, with its position i of m; and
 * its data. In the file format the footer's schema must equal the schema message and each footer
 * block must point at batch i's message; a stream must end at its EOS marker. The remaining
 * bytes (padding, the EOS inside a file, the file's stream-part framing that the footer does
 * not reference) are never read, so changing them cannot change the tensor. Markers of a Tessera
 * file sit in the schema (field name, field and schema metadata) and in every batch; finding any
 * of them makes the reader demand all of them, so damage cannot make a tensor file pass for a
 * foreign one.
 *
 * <p>Version 1 files (a flat column whatever the rank; schema metadata {@code tessera.batch} in
 * elements, {@code tessera.crc32c} with one data checksum per batch and {@code tessera.check} over
 * the dtype, shape, batch and checksum values) are still read; their headers are not checksummed.
 */
public final class TensorFileFormat {
    /** The version written in {@code tessera.format}. */
    public static final String VERSION = "2";
    /** The first version: a flat column, data checksums in the schema, headers not checksummed. */
    public static final String VERSION_1 = "1";
    /** Metadata key: the layout version. */
    public static final String KEY_FORMAT = "tessera.format";
    /** Metadata key: the dtype name. */
    public static final String KEY_DTYPE = "tessera.dtype";
    /** Metadata key: the shape as a JSON array. */
    public static final String KEY_SHAPE = "tessera.shape";
    /** Metadata key: rows per record batch (version 1: elements per batch). */
    public static final String KEY_BATCH = "tessera.batch";
    /** Metadata key: the number of record batches. */
    public static final String KEY_BATCHES = "tessera.batches";
    /** Message metadata key of each batch: its header and data checksums (version 1: the schema's checksum list). */
    public static final String KEY_CRC = "tessera.crc32c";
    /** Version 1 metadata key: the CRC-32C of the dtype, shape, batch and checksum values. */
    public static final String KEY_CHECK = "tessera.check";
    /** The prefix of every key. */
    public static final String PREFIX = "tessera.";
    /** The column name; also a marker that survives damage to the metadata. */
    public static final String FIELD = "tessera_tensor";
    /** The name of the values child of a tensor column. */
    static final String CHILD = "item";
    /** The value of {@link #KEY_CRC} while the header checksum is computed. */
    static final String PLACEHOLDER = "00000000,00000000";
    /** The magic bytes at both ends of the file format. */
    static final byte[] MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};
    /**
     * Default bytes per record batch: the most that one mapping holds, rounded down to 64 bytes, so
     * that a tensor whose data fits one mapping is one batch and loads mapped.
     */
    public static final long DEFAULT_BATCH_BYTES = (Integer.MAX_VALUE / 64) * 64L;
    /** Where a batch's body starts in the file: a multiple of this many bytes (the metadata is padded to it). */
    static final int BODY_ALIGNMENT = 64;
    /** The most elements one record batch holds (Arrow Java reads at most 2^31-1 values per vector). */
    static final long MAX_BATCH_ELEMENTS = 1L << 30;

    private TensorFileFormat() {
    }

    /**
     * How a tensor is cut into rows and batches: {@code rows} rows of {@code rowElements}
     * elements, {@code batchRows} rows per batch, {@code batches} batches (at least 1).
     * {@code tensorColumn} says whether the column is an {@code arrow.fixed_shape_tensor}.
     */
    record Plan(boolean tensorColumn, long rows, long rowElements, long batchRows, int batches) {
        /** Rows in batch {@code i}. */
        long rowsIn(int i) {
            return Math.max(0, Math.min(batchRows, rows - i * batchRows));
        }
    }

    /**
     * The plan for a tensor of {@code shape}: rank 0 and 1 as a flat column, higher ranks as a
     * tensor column of the rows of dim 0 (unless one row exceeds a FixedSizeList's 2^31-1
     * elements, then flat too).
     */
    static Plan plan(DType dtype, Shape shape, long batchBytes) {
        long[] d = shape.dims();
        long numel = shape.numel();
        long rowElements = 1;
        for (int i = 1; i < d.length; i++) {
            rowElements = Math.multiplyExact(rowElements, d[i]);
        }
        boolean tensorColumn = d.length >= 2 && rowElements <= Integer.MAX_VALUE;
        long rows = d.length == 0 ? 1 : tensorColumn ? d[0] : numel;
        long per = tensorColumn ? rowElements : 1;
        long elements = dtype == DType.BOOL ? Math.min(batchBytes, MAX_BATCH_ELEMENTS) * 8 : batchBytes / dtype.byteSize();
        elements = Math.min(elements, MAX_BATCH_ELEMENTS);
        long batchRows = Math.max(1, Math.min(elements / Math.max(1, per), MAX_BATCH_ELEMENTS));
        long batches = rows == 0 ? 1 : (rows - 1) / batchRows + 1;
        if (batches > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("save: " + batches + " record batches of " + batchRows
                    + " rows; use a larger batch size");
        }
        return new Plan(tensorColumn, rows, tensorColumn ? rowElements : 1, batchRows, (int) batches);
    }

    /** The schema of a version 2 tensor file. */
    static Schema schema(DType dtype, Shape shape, Plan plan) {
        Map<String, String> md = new LinkedHashMap<>();
        md.put(KEY_FORMAT, VERSION);
        md.put(KEY_DTYPE, dtype.toString());
        md.put(KEY_SHAPE, shapeJson(shape));
        md.put(KEY_BATCH, Long.toString(plan.batchRows()));
        md.put(KEY_BATCHES, Integer.toString(plan.batches()));
        Map<String, String> fieldMd = Map.of(KEY_FORMAT, VERSION);
        Field f;
        if (plan.tensorColumn()) {
            long[] d = shape.dims();
            FixedShapeTensorType type = new FixedShapeTensorType(Arrays.copyOfRange(d, 1, d.length), null, null);
            Field child = new Field(CHILD, new FieldType(false, ArrowLayouts.arrowType(dtype), null), null);
            f = new Field(FIELD, new FieldType(false, type, null, fieldMd), List.of(child));
        } else {
            f = new Field(FIELD, new FieldType(false, ArrowLayouts.arrowType(dtype), null, fieldMd), null);
        }
        return new Schema(List.of(f), md);
    }

    /** The value of {@link #KEY_CRC} for a batch: header and data checksums, 8 hex digits each. */
    static String digestValue(long header, long data) {
        return String.format(Locale.ROOT, "%08x,%08x", header, data);
    }

    /**
     * The header checksum of batch {@code i} of {@code m}: {@code raw} holds the batch's prefix
     * and metadata bytes with its {@link #KEY_CRC} value reading {@link #PLACEHOLDER}.
     */
    static long headerDigest(long schemaDigest, int i, int m, ByteBuffer raw) {
        CRC32C c = new CRC32C();
        ByteBuffer head = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(schemaDigest).putInt(i).putInt(m).flip();
        c.update(head);
        c.update(raw.duplicate());
        return c.getValue();
    }

    /** The CRC-32C of all remaining bytes of {@code b}. */
    static long crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return c.getValue();
    }

    /** The version 1 checksum of the metadata values that describe the tensor. */
    public static long check(Map<String, String> md) {
        CRC32C c = new CRC32C();
        String joined = md.get(KEY_DTYPE) + "|" + md.get(KEY_SHAPE) + "|" + md.get(KEY_BATCH) + "|" + md.get(KEY_CRC);
        c.update(joined.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return c.getValue();
    }

    static String shapeJson(Shape shape) {
        StringBuilder b = new StringBuilder("[");
        long[] d = shape.dims();
        for (int i = 0; i < d.length; i++) {
            b.append(i == 0 ? "" : ",").append(d[i]);
        }
        return b.append(']').toString();
    }

    /** Parses {@code "[2,3]"}; throws IllegalArgumentException with the reason. */
    static long[] parseShape(String s) {
        String t = s.trim();
        if (!t.startsWith("[") || !t.endsWith("]") || t.length() > 4096) {
            throw new IllegalArgumentException("shape " + abbreviate(s) + " is not a JSON array of integers");
        }
        String body = t.substring(1, t.length() - 1).trim();
        if (body.isEmpty()) {
            return new long[0];
        }
        String[] parts = body.split(",", -1);
        if (parts.length > 64) {
            throw new IllegalArgumentException("shape has " + parts.length + " dimensions; at most 64 are supported");
        }
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape " + abbreviate(s) + ": entry " + i + " ('" + parts[i].trim()
                        + "') is not an integer");
            }
            if (out[i] < 0) {
                throw new IllegalArgumentException("shape " + abbreviate(s) + ": dimension " + i + " is negative");
            }
        }
        return out;
    }

    /** Parses the checksum list; throws IllegalArgumentException with the reason. */
    static long[] parseCrcs(String s) {
        if (s.isEmpty()) {
            return new long[0];
        }
        List<Long> out = new ArrayList<>();
        for (String p : s.split(",", -1)) {
            String t = p.trim().toLowerCase(Locale.ROOT);
            if (t.isEmpty() || t.length() > 8) {
                throw new IllegalArgumentException("checksum '" + abbreviate(p) + "' is not an 8-digit hex number");
            }
            try {
                out.add(Long.parseLong(t, 16));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("checksum '" + abbreviate(p) + "' is not a hex number");
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static String abbreviate(String s) {
        return s.length() <= 100 ? "'" + s + "'" : "'" + s.substring(0, 100) + "...'";
    }
}

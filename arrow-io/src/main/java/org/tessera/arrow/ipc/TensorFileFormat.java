package org.tessera.arrow.ipc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.arrow.internal.ArrowLayouts;

/**
 * The byte layout of a Tessera tensor file: a standard Arrow IPC file or stream holding one
 * tensor as a flat column, its dtype and shape in the schema metadata. This class owns the
 * layout; the writer and reader follow it.
 *
 * <pre>
 *  file:   "ARROW1" 00 00 | schema | batch 0 | ... | batch m-1 | EOS | footer | int32 footer length | "ARROW1"
 *  stream:                  schema | batch 0 | ... | batch m-1 | EOS
 *
 *  message = FF FF FF FF | int32 metadata length L | flatbuffer Message (L bytes, padded to 8) | body
 *  EOS     = FF FF FF FF | 00 00 00 00
 *
 *  schema: one non-nullable field "tessera_tensor" of the dtype's Arrow type
 *          (FloatingPoint SINGLE/DOUBLE, Int 32/64 signed, Bool), field metadata
 *          tessera.format "1" (a second marker, should the schema's own metadata be damaged), and schema metadata
 *            tessera.format  "1"                 this layout's version
 *            tessera.dtype   "float32" ...       the tensor's dtype
 *            tessera.shape   "[2,3,4]"           JSON array of dims ("[]" for a 0-d tensor)
 *            tessera.batch   "16777216"          elements per record batch (the last may hold fewer)
 *            tessera.crc32c  "1a2b3c4d,..."      CRC-32C of each batch's data bytes, hex, comma-separated
 *            tessera.check   "5e6f7a8b"          CRC-32C of the four values above joined by '|', hex
 *  batch i: elements [i * batch, min((i + 1) * batch, numel)) in row-major order;
 *           one field node (length, null count 0) and two buffers: validity (0 bytes) and data
 *           (little-endian values; bool bit-packed, least significant bit first)
 * </pre>
 *
 * A file whose field is named {@code tessera_tensor} or whose schema or field has any
 * {@code tessera.} key must have all of them, and in the file format the footer's copy of the
 * schema must equal the schema message. (Flatbuffers share vtables between tables of one
 * layout, so one damaged vtable can erase all key-value metadata at once; these redundant
 * markers keep such damage from passing for a foreign file.) The checksums are
 * computed before anything is written (one fast pass over memory), so the
 * stream format, whose schema comes first, carries them too; they turn any damage to the data
 * bytes into an error instead of a silently wrong tensor.
 */
public final class TensorFileFormat {
    /** The version written in {@code tessera.format}. */
    public static final String VERSION = "1";
    /** Metadata key: the layout version. */
    public static final String KEY_FORMAT = "tessera.format";
    /** Metadata key: the dtype name. */
    public static final String KEY_DTYPE = "tessera.dtype";
    /** Metadata key: the shape as a JSON array. */
    public static final String KEY_SHAPE = "tessera.shape";
    /** Metadata key: elements per record batch. */
    public static final String KEY_BATCH = "tessera.batch";
    /** Metadata key: the per-batch CRC-32C list. */
    public static final String KEY_CRC = "tessera.crc32c";
    /** Metadata key: the CRC-32C of the values above. */
    public static final String KEY_CHECK = "tessera.check";
    /** The prefix of every key. */
    public static final String PREFIX = "tessera.";
    /** The column name; also a marker that survives damage to the metadata. */
    public static final String FIELD = "tessera_tensor";
    /** The magic bytes at both ends of the file format. */
    static final byte[] MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};
    /** Default bytes per record batch. */
    public static final long DEFAULT_BATCH_BYTES = 64L << 20;

    private TensorFileFormat() {
    }

    /** Elements per batch for a requested batch size in bytes (at least 1, within Arrow's int lengths). */
    static long batchElements(DType dtype, long batchBytes) {
        long per = dtype == DType.BOOL ? batchBytes * 8 : batchBytes / dtype.byteSize();
        return Math.max(1, Math.min(per, 1L << 30));
    }

    /** The schema of a tensor file. */
    static Schema schema(DType dtype, Shape shape, long batch, long[] crcs) {
        Map<String, String> md = new LinkedHashMap<>();
        md.put(KEY_FORMAT, VERSION);
        md.put(KEY_DTYPE, dtype.toString());
        md.put(KEY_SHAPE, shapeJson(shape));
        md.put(KEY_BATCH, Long.toString(batch));
        StringBuilder c = new StringBuilder();
        for (int i = 0; i < crcs.length; i++) {
            c.append(i == 0 ? "" : ",").append(Long.toHexString(crcs[i]));
        }
        md.put(KEY_CRC, c.toString());
        md.put(KEY_CHECK, Long.toHexString(check(md)));
        Field f = new Field(FIELD, new FieldType(false, ArrowLayouts.arrowType(dtype), null,
                Map.of(KEY_FORMAT, VERSION)), null);
        return new Schema(List.of(f), md);
    }

    /** The checksum of the metadata values that describe the tensor. */
    public static long check(Map<String, String> md) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
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

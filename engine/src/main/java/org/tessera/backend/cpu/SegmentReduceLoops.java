package org.tessera.backend.cpu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.tessera.memory.Memory;

/**
 * The Vector API loops reading float32 runs where they lie in memory, on Java 22 and later: each
 * vector comes from {@code FloatVector.fromMemorySegment} over one segment that spans the address
 * space, so a reduction reads its input once instead of copying each tile into an array first.
 *
 * <p>The engine is compiled for Java 17, where neither {@code java.lang.foreign} nor
 * {@code fromMemorySegment} exists, so the load is a constant method handle found at class
 * initialization; the JIT inlines it like a direct call. Loaded only through {@link #create}, which
 * returns null (and the engine keeps its copying loops) when any part is missing or the engine's
 * module lacks native access (so the JVM never prints a restricted-method warning).
 *
 * <p>Each loop repeats the arithmetic of {@link VectorReduceLoops} in the same order, so that both
 * give bit-identical results; the array forms are that class's.
 */
final class SegmentReduceLoops extends ReduceLoops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Bytes per vector. */
    private static final int B = 4 * L;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int LD = D.length();
    /** {@code (long address) -> FloatVector}, native byte order; null when unavailable. */
    private static final MethodHandle LOAD = findLoad(FloatVector.class, F);
    /** {@code (long address) -> DoubleVector}, native byte order; null when unavailable. */
    private static final MethodHandle LOAD_DOUBLES = findLoad(DoubleVector.class, D);

    private final ReduceLoops arrays;

    private SegmentReduceLoops(ReduceLoops arrays) {
        this.arrays = arrays;
    }

    /** The in-place loops over {@code arrays}' array loops, or null where this JVM cannot run them. */
    static ReduceLoops create(ReduceLoops arrays) {
        if (LOAD == null || LOAD_DOUBLES == null || I.length() != L) {
            return null;
        }
        SegmentReduceLoops loops = new SegmentReduceLoops(arrays);
        // one run through the handle, so that a JVM that cannot link it is found here
        float[] probe = new float[4 * L + 3];
        for (int i = 0; i < probe.length; i++) {
            probe[i] = i * 0.5f - 7;
        }
        try (org.apache.arrow.memory.ArrowBuf buf = Memory.root().buffer(4L * probe.length)) {
            long address = buf.memoryAddress();
            Memory.putFloats(address, probe, 0, probe.length);
            if (loops.sum(address, probe.length, null) != arrays.sum(probe, probe.length)
                    || loops.firstExtreme(true, address, probe.length, null) != arrays.firstExtreme(true, probe, probe.length)) {
                return null;
            }
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
        return loops;
    }

    private static MethodHandle findLoad(Class<?> vector, VectorSpecies<?> species) {
        try {
            Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
            Module own = SegmentReduceLoops.class.getModule();
            Object enabled = Module.class.getMethod("isNativeAccessEnabled").invoke(own);
            if (!Boolean.TRUE.equals(enabled)) {
                return null;
            }
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Object empty = segment.getField("NULL").get(null);
            Object all = lookup.findVirtual(segment, "reinterpret", MethodType.methodType(segment, long.class))
                    .invoke(empty, Long.MAX_VALUE);
            MethodHandle h = lookup.findStatic(vector, "fromMemorySegment",
                    MethodType.methodType(vector, VectorSpecies.class, segment, long.class, ByteOrder.class));
            h = MethodHandles.insertArguments(h, 0, species, all);
            return MethodHandles.insertArguments(h, 1, ByteOrder.nativeOrder());
        } catch (Throwable t) {
            return null;
        }
    }

    private static FloatVector load(long address) {
        try {
            return (FloatVector) LOAD.invokeExact(address);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static DoubleVector loadDoubles(long address) {
        try {
            return (DoubleVector) LOAD_DOUBLES.invokeExact(address);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static float at(long x, int i) {
        return Memory.getFloat(x + 4L * i);
    }

    @Override
    String describe() {
        return arrays.describe() + ", reading memory in place";
    }

    @Override
    boolean readsInPlace() {
        return true;
    }

    // ---- array forms: the vector loops' own ----

    @Override
    double sum(float[] x, int len) {
        return arrays.sum(x, len);
    }

    @Override
    double sum(double[] x, int len) {
        return arrays.sum(x, len);
    }

    @Override
    double sumDoubles(long x, int len, double[] scratch) {
        // VectorReduceLoops.sum(double[], int), element i at x + 8 i
        DoubleVector a0 = DoubleVector.zero(D);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        int i = 0;
        for (; i <= len - 4 * LD; i += 4 * LD) {
            long p = x + 8L * i;
            a0 = a0.add(loadDoubles(p));
            a1 = a1.add(loadDoubles(p + 8L * LD));
            a2 = a2.add(loadDoubles(p + 16L * LD));
            a3 = a3.add(loadDoubles(p + 24L * LD));
        }
        for (; i <= len - LD; i += LD) {
            a0 = a0.add(loadDoubles(x + 8L * i));
        }
        double tail = 0;
        for (; i < len; i++) {
            tail += Memory.getDouble(x + 8L * i);
        }
        return VectorReduceLoops.foldLanes(a0.add(a1).add(a2.add(a3))) + tail;
    }

    @Override
    float max(float[] x, int len) {
        return arrays.max(x, len);
    }

    @Override
    float min(float[] x, int len) {
        return arrays.min(x, len);
    }

    @Override
    int firstExtreme(boolean max, float[] x, int len) {
        return arrays.firstExtreme(max, x, len);
    }

    @Override
    void relu(float[] x, float[] out, int len) {
        arrays.relu(x, out, len);
    }

    @Override
    void affine(float[] x, float[] out, int len, boolean mulFirst, float c1, float c2, boolean relu) {
        arrays.affine(x, out, len, mulFirst, c1, c2, relu);
    }

    @Override
    double affineSum(float[] x, int len, boolean mulFirst, float c1, float c2, boolean relu, float[] scratch) {
        return arrays.affineSum(x, len, mulFirst, c1, c2, relu, scratch);
    }

    @Override
    void addRows(float[] acc, float[] x, int len) {
        arrays.addRows(acc, x, len);
    }

    @Override
    void extremeRows(boolean max, float[] acc, float[] x, int len) {
        arrays.extremeRows(max, acc, x, len);
    }

    @Override
    void extremeRowsWithIndex(boolean max, float[] best, int[] idx, float[] x, int len, int q) {
        arrays.extremeRowsWithIndex(max, best, idx, x, len, q);
    }

    // ---- in place: the same arithmetic as VectorReduceLoops, element i at x + 4 i ----

    @Override
    double sum(long x, int len, float[] scratch) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i <= len - 4 * L; i += 4 * L) {
            long p = x + 4L * i;
            a0 = a0.add(load(p));
            a1 = a1.add(load(p + B));
            a2 = a2.add(load(p + 2 * B));
            a3 = a3.add(load(p + 3 * B));
        }
        for (; i <= len - L; i += L) {
            a0 = a0.add(load(x + 4L * i));
        }
        float tail = 0;
        for (; i < len; i++) {
            tail += at(x, i);
        }
        return (double) VectorReduceLoops.foldLanes(a0.add(a1).add(a2.add(a3))) + tail;
    }

    @Override
    double affineSum(long x, int len, boolean mulFirst, float c1, float c2, boolean relu, float[] scratch) {
        if (mulFirst && relu) {
            return mulAddReluSum(x, len, c1, c2);
        }
        // VectorReduceLoops.affineSum(float[], ...), element i at x + 4 i; relu as a compare and a blend
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i <= len - 4 * L; i += 4 * L) {
            long p = x + 4L * i;
            FloatVector y0 = load(p);
            FloatVector y1 = load(p + B);
            FloatVector y2 = load(p + 2 * B);
            FloatVector y3 = load(p + 3 * B);
            if (mulFirst) {
                y0 = y0.mul(c1).add(c2);
                y1 = y1.mul(c1).add(c2);
                y2 = y2.mul(c1).add(c2);
                y3 = y3.mul(c1).add(c2);
            } else {
                y0 = y0.add(c1).mul(c2);
                y1 = y1.add(c1).mul(c2);
                y2 = y2.add(c1).mul(c2);
                y3 = y3.add(c1).mul(c2);
            }
            if (relu) {
                y0 = y0.blend(0f, y0.compare(VectorOperators.LE, 0f));
                y1 = y1.blend(0f, y1.compare(VectorOperators.LE, 0f));
                y2 = y2.blend(0f, y2.compare(VectorOperators.LE, 0f));
                y3 = y3.blend(0f, y3.compare(VectorOperators.LE, 0f));
            }
            a0 = a0.add(y0);
            a1 = a1.add(y1);
            a2 = a2.add(y2);
            a3 = a3.add(y3);
        }
        for (; i <= len - L; i += L) {
            FloatVector y = load(x + 4L * i);
            y = mulFirst ? y.mul(c1).add(c2) : y.add(c1).mul(c2);
            if (relu) {
                y = y.blend(0f, y.compare(VectorOperators.LE, 0f));
            }
            a0 = a0.add(y);
        }
        float tail = 0;
        for (; i < len; i++) {
            float v = at(x, i);
            float y = mulFirst ? v * c1 + c2 : (v + c1) * c2;
            tail += relu ? Math.max(y, 0f) : y;
        }
        return (double) VectorReduceLoops.foldLanes(a0.add(a1).add(a2.add(a3))) + tail;
    }

    /**
     * {@link #affineSum} for {@code relu(x * c1 + c2)}, the common form, in a loop of its own with the
     * constants broadcast once: the same operations in the same order, so the same bits.
     */
    private static double mulAddReluSum(long x, int len, float c1, float c2) {
        FloatVector m = FloatVector.broadcast(F, c1);
        FloatVector b = FloatVector.broadcast(F, c2);
        FloatVector zero = FloatVector.zero(F);
        FloatVector a0 = zero;
        FloatVector a1 = zero;
        FloatVector a2 = zero;
        FloatVector a3 = zero;
        int i = 0;
        for (; i <= len - 4 * L; i += 4 * L) {
            long p = x + 4L * i;
            FloatVector y0 = load(p).mul(m).add(b);
            FloatVector y1 = load(p + B).mul(m).add(b);
            FloatVector y2 = load(p + 2 * B).mul(m).add(b);
            FloatVector y3 = load(p + 3 * B).mul(m).add(b);
            a0 = a0.add(y0.blend(zero, y0.compare(VectorOperators.LE, zero)));
            a1 = a1.add(y1.blend(zero, y1.compare(VectorOperators.LE, zero)));
            a2 = a2.add(y2.blend(zero, y2.compare(VectorOperators.LE, zero)));
            a3 = a3.add(y3.blend(zero, y3.compare(VectorOperators.LE, zero)));
        }
        for (; i <= len - L; i += L) {
            FloatVector y = load(x + 4L * i).mul(m).add(b);
            a0 = a0.add(y.blend(zero, y.compare(VectorOperators.LE, zero)));
        }
        float tail = 0;
        for (; i < len; i++) {
            float y = at(x, i) * c1 + c2;
            tail += Math.max(y, 0f);
        }
        return (double) VectorReduceLoops.foldLanes(a0.add(a1).add(a2.add(a3))) + tail;
    }

    @Override
    float max(long x, int len, float[] scratch) {
        return extreme(true, x, len, scratch);
    }

    @Override
    float min(long x, int len, float[] scratch) {
        return extreme(false, x, len, scratch);
    }

    private float extreme(boolean max, long x, int len, float[] scratch) {
        if (len < 4 * L) {
            return max ? super.max(x, len, scratch) : super.min(x, len, scratch);
        }
        FloatVector m0 = load(x);
        FloatVector m1 = load(x + B);
        FloatVector m2 = load(x + 2 * B);
        FloatVector m3 = load(x + 3 * B);
        int i = 4 * L;
        if (max) {
            for (; i <= len - 4 * L; i += 4 * L) {
                long p = x + 4L * i;
                m0 = m0.max(load(p));
                m1 = m1.max(load(p + B));
                m2 = m2.max(load(p + 2 * B));
                m3 = m3.max(load(p + 3 * B));
            }
            float m = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
            for (; i < len; i++) {
                m = Math.max(m, at(x, i));
            }
            return m;
        }
        for (; i <= len - 4 * L; i += 4 * L) {
            long p = x + 4L * i;
            m0 = m0.min(load(p));
            m1 = m1.min(load(p + B));
            m2 = m2.min(load(p + 2 * B));
            m3 = m3.min(load(p + 3 * B));
        }
        float m = m0.min(m1).min(m2.min(m3)).reduceLanes(VectorOperators.MIN);
        for (; i < len; i++) {
            m = Math.min(m, at(x, i));
        }
        return m;
    }

    @Override
    int firstExtreme(boolean max, long x, int len, float[] scratch) {
        float m = extreme(max, x, len, scratch);
        int i = 0;
        if (m != m) {
            while (at(x, i) == at(x, i)) {
                i++;
            }
            return i;
        }
        for (; i <= len - L; i += L) {
            VectorMask<Float> hit = load(x + 4L * i).compare(VectorOperators.EQ, m);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        while (at(x, i) != m) {
            i++;
        }
        return i;
    }

    @Override
    void addRows(float[] acc, long x, int len, float[] scratch) {
        int j = 0;
        for (; j <= len - L; j += L) {
            FloatVector.fromArray(F, acc, j).add(load(x + 4L * j)).intoArray(acc, j);
        }
        for (; j < len; j++) {
            acc[j] += at(x, j);
        }
    }

    @Override
    void addFourRows(float[] acc, long x, long stride, int len, float[] scratch) {
        int j = 0;
        for (; j <= len - L; j += L) {
            long p = x + 4L * j;
            FloatVector.fromArray(F, acc, j).add(load(p)).add(load(p + stride)).add(load(p + 2 * stride))
                    .add(load(p + 3 * stride)).intoArray(acc, j);
        }
        for (; j < len; j++) {
            long p = x + 4L * j;
            acc[j] = (((acc[j] + Memory.getFloat(p)) + Memory.getFloat(p + stride)) + Memory.getFloat(p + 2 * stride))
                    + Memory.getFloat(p + 3 * stride);
        }
    }

    @Override
    void extremeRows(boolean max, float[] acc, long x, int len, float[] scratch) {
        int j = 0;
        if (max) {
            for (; j <= len - L; j += L) {
                FloatVector.fromArray(F, acc, j).max(load(x + 4L * j)).intoArray(acc, j);
            }
            for (; j < len; j++) {
                acc[j] = Math.max(acc[j], at(x, j));
            }
        } else {
            for (; j <= len - L; j += L) {
                FloatVector.fromArray(F, acc, j).min(load(x + 4L * j)).intoArray(acc, j);
            }
            for (; j < len; j++) {
                acc[j] = Math.min(acc[j], at(x, j));
            }
        }
    }

    @Override
    void extremeRowsWithIndex(boolean max, float[] best, int[] idx, long x, int len, int q, float[] scratch) {
        VectorOperators.Comparison beats = max ? VectorOperators.GT : VectorOperators.LT;
        int j = 0;
        for (; j <= len - L; j += L) {
            FloatVector b = FloatVector.fromArray(F, best, j);
            FloatVector v = load(x + 4L * j);
            VectorMask<Float> m = v.compare(beats, b);
            VectorMask<Float> nan = v.test(VectorOperators.IS_NAN);
            if (nan.anyTrue()) {
                m = m.or(nan.andNot(b.test(VectorOperators.IS_NAN)));
            }
            if (m.anyTrue()) {
                b.blend(v, m).intoArray(best, j);
                IntVector.fromArray(I, idx, j).blend(q, m.cast(I)).intoArray(idx, j);
            }
        }
        for (; j < len; j++) {
            float v = at(x, j);
            float b = best[j];
            if (b == b && (v != v || (max ? v > b : v < b))) {
                best[j] = v;
                idx[j] = q;
            }
        }
    }
}

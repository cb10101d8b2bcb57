package org.tessera;

import java.util.Arrays;
import java.util.List;
import org.tessera.autograd.GradMode;
import org.tessera.backend.Backends;
import org.tessera.memory.Memory;
import org.tessera.memory.MemoryScope;
import org.tessera.ops.Creation;
import org.tessera.ops.Elementwise;
import org.tessera.ops.Movement;

/**
 * Creates tensors and controls the engine: the Java spelling of {@code torch.*}.
 *
 * <pre>{@code
 * import static org.tessera.Tessera.*;
 *
 * Tensor a = tensor(new int[][] {{1, 2}, {3, 4}});   // int64, shape [2, 2]
 * Tensor z = zeros(2, 3);                            // float32
 * Tensor r = arange(0, 10, 2);                       // tensor([0, 2, 4, 6, 8])
 * manualSeed(42);
 * Tensor n = randn(3, 3);
 * }</pre>
 */
public final class Tessera {
    private static volatile Generator defaultGenerator = new Generator(0x5EED_7E55E7AL);

    private Tessera() {
    }

    // ---------------------------------------------------------------- from data

    /**
     * A tensor from a Java number, boolean, array of any rank, or nested lists; integers become
     * int64, decimals float32 and booleans bool. Example: {@code tensor(new double[] {1.5, 2})}
     * is {@code tensor([1.5000, 2.0000])}.
     *
     * @throws IllegalArgumentException for ragged data or non-numeric elements
     */
    public static Tensor tensor(Object data) {
        return Creation.tensor(data, null);
    }

    /** As {@link #tensor(Object)} with an explicit dtype. */
    public static Tensor tensor(Object data, DType dtype) {
        return Creation.tensor(data, dtype);
    }

    /** float32 values with a shape (one copy into off-heap memory). */
    public static Tensor fromArray(float[] data, long... shape) {
        return Creation.fromArray(data, shape);
    }

    /** float64 values with a shape. */
    public static Tensor fromArray(double[] data, long... shape) {
        return Creation.fromArray(data, shape);
    }

    /** int64 values with a shape. */
    public static Tensor fromArray(long[] data, long... shape) {
        return Creation.fromArray(data, shape);
    }

    /** int32 values with a shape. */
    public static Tensor fromArray(int[] data, long... shape) {
        return Creation.fromArray(data, shape);
    }

    /**
     * A tensor over a direct NIO buffer's memory, without copying (as {@code torch.from_numpy}):
     * writes through either are seen through the other. The buffer holds {@code shape}'s elements of
     * {@code dtype} in row-major, little-endian order from byte 0.
     *
     * @throws IllegalArgumentException for a heap buffer or one too small for the shape
     */
    public static Tensor fromBuffer(java.nio.ByteBuffer buffer, DType dtype, long... shape) {
        Shape s = Shape.of(shape);
        long bytes = s.numel() * dtype.byteSize();
        if (bytes > buffer.capacity()) {
            throw new IllegalArgumentException("fromBuffer: shape " + s + " of " + dtype + " needs " + bytes
                    + " bytes but the buffer holds " + buffer.capacity());
        }
        org.tessera.memory.Storage st = org.tessera.memory.NioBuffers.wrap(buffer, "fromBuffer " + s + " " + dtype);
        return Creation.fromStorage(st, s, dtype, 0, s.contiguousStrides());
    }

    // ---------------------------------------------------------------- filled

    /** float32 zeros. Example: {@code zeros(2, 3)}. */
    public static Tensor zeros(long... shape) {
        return full(DType.defaultFloat(), 0, shape);
    }

    /** Zeros of a dtype. */
    public static Tensor zeros(DType dtype, long... shape) {
        return full(dtype, 0, shape);
    }

    /** float32 ones. */
    public static Tensor ones(long... shape) {
        return full(DType.defaultFloat(), 1, shape);
    }

    /** Ones of a dtype. */
    public static Tensor ones(DType dtype, long... shape) {
        return full(dtype, 1, shape);
    }

    /** Every element {@code value}; the dtype follows the value (int64 or float32) as in PyTorch. */
    public static Tensor full(Number value, long... shape) {
        DType t = (value instanceof Double || value instanceof Float) ? DType.defaultFloat() : DType.INT64;
        return full(t, value, shape);
    }

    /** Every element {@code value}, of {@code dtype}. */
    public static Tensor full(DType dtype, Number value, long... shape) {
        return Creation.full(Shape.of(shape), value, dtype);
    }

    /** Zeros with the shape, dtype and device of {@code t}. */
    public static Tensor zerosLike(Tensor t) {
        return fullLike(t, 0);
    }

    /** Ones with the shape, dtype and device of {@code t}. */
    public static Tensor onesLike(Tensor t) {
        return fullLike(t, 1);
    }

    /** {@code value} everywhere, with the shape, dtype and device of {@code t}. */
    public static Tensor fullLike(Tensor t, Number value) {
        Elementwise.storable("full", value, t.dtype()); // refused on every device as full refuses it
        Tensor s = scalarLike(value, t);
        if (t.dim() == 0) {
            return s;
        }
        if (!t.device().equals(Device.CPU)) {
            // a fill node on the target device: a distributed backend makes it block by block
            // instead of filling the whole tensor on the host and copying it over
            return Tensor.of(org.tessera.graph.Graph.nodeOn(org.tessera.graph.Op.FILL, t.shape(), t.dtype(),
                    t.device(), new org.tessera.graph.Attrs.Fill(s.node().attrs() instanceof
                            org.tessera.graph.Attrs.Fill f ? f.value() : value)));
        }
        return Creation.full(t.shape(), value, t.dtype());
    }

    /** A 0-d tensor holding {@code value} in the dtype and on the device of {@code like}. */
    public static Tensor scalarLike(Number value, Tensor like) {
        return Elementwise.scalar(value, like.dtype(), like);
    }

    /** The n×n identity (float32). */
    public static Tensor eye(long n) {
        return eye(n, n);
    }

    /** An n×m matrix with ones on the diagonal (float32). */
    public static Tensor eye(long n, long m) {
        if (n < 0 || m < 0) {
            throw new IllegalArgumentException("eye: n and m must be greater or equal to 0, got n = " + n + ", m = " + m);
        }
        return arange(0, n).unsqueeze(1).eq(arange(0, m)).to(DType.defaultFloat());
    }

    // ---------------------------------------------------------------- ranges

    /** {@code 0, 1, …, end - 1}. */
    public static Tensor arange(Number end) {
        return Creation.arange(0L, end, 1L, null);
    }

    /** {@code start, start + 1, …} below {@code end}. */
    public static Tensor arange(Number start, Number end) {
        return Creation.arange(start, end, 1L, null);
    }

    /**
     * {@code start, start + step, …} below {@code end}; int64 when all three are integers,
     * float32 otherwise. Example: {@code arange(0, 1, 0.25)} is {@code [0.00, 0.25, 0.50, 0.75]}.
     */
    public static Tensor arange(Number start, Number end, Number step) {
        return Creation.arange(start, end, step, null);
    }

    /** As {@link #arange(Number, Number, Number)} with an explicit dtype. */
    public static Tensor arange(Number start, Number end, Number step, DType dtype) {
        return Creation.arange(start, end, step, dtype);
    }

    /** {@code steps} evenly spaced float32 values from start to end inclusive. */
    public static Tensor linspace(double start, double end, long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        }
        if (steps == 1) {
            return full(DType.defaultFloat(), start, 1);
        }
        double step = steps <= 1 ? 0 : (end - start) / (steps - 1);
        Tensor i = arange(0L, steps, 1L, DType.FLOAT64);
        // fill from both ends, as PyTorch does, so that the last value is exactly `end`
        Tensor fromStart = i.mul(step).add(start);
        Tensor fromEnd = i.sub(steps - 1).mul(step).add(end);
        return where(i.lt(steps / 2), fromStart, fromEnd).to(DType.defaultFloat());
    }

    // ---------------------------------------------------------------- random

    /** Reseeds the default generator, as {@code torch.manual_seed}. */
    public static void manualSeed(long seed) {
        defaultGenerator = new Generator(seed);
    }

    /** The generator used when none is given. */
    public static Generator defaultGenerator() {
        return defaultGenerator;
    }

    /** Uniform [0, 1) float32 values. */
    public static Tensor rand(long... shape) {
        return Creation.random(false, defaultGenerator, Shape.of(shape), DType.defaultFloat());
    }

    /** Uniform [0, 1) values from a given generator and dtype. */
    public static Tensor rand(Generator g, DType dtype, long... shape) {
        return Creation.random(false, g, Shape.of(shape), dtype);
    }

    /** Standard normal float32 values. */
    public static Tensor randn(long... shape) {
        return Creation.random(true, defaultGenerator, Shape.of(shape), DType.defaultFloat());
    }

    /** Standard normal values from a given generator and dtype. */
    public static Tensor randn(Generator g, DType dtype, long... shape) {
        return Creation.random(true, g, Shape.of(shape), dtype);
    }

    // ---------------------------------------------------------------- joins and selection

    /** Joins tensors along an existing dim. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Movement.cat(tensors, dim);
    }

    /** Joins tensors along dim 0. */
    public static Tensor cat(Tensor... tensors) {
        return Movement.cat(Arrays.asList(tensors), 0);
    }

    /** Stacks same-shaped tensors along a new dim. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: expected a non-empty list of tensors");
        }
        Shape first = tensors.get(0).shape();
        for (int i = 1; i < tensors.size(); i++) {
            if (!tensors.get(i).shape().equals(first)) {
                throw new IllegalArgumentException("stack: expects each tensor to be equal size, but got " + first
                        + " at entry 0 and " + tensors.get(i).shape() + " at entry " + i);
            }
        }
        // the result has one dim more than the inputs: dim may be any of its dims
        int r = first.rank() + 1;
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException("stack: dimension " + dim + " is out of range for stacking tensors of"
                    + " shape " + first + " (the result has rank " + r + "); expected a value in [" + -r + ", "
                    + (r - 1) + "]");
        }
        int d = dim < 0 ? dim + r : dim;
        return Movement.cat(tensors.stream().map(t -> t.unsqueeze(d)).toList(), d);
    }

    /** Stacks along dim 0. */
    public static Tensor stack(Tensor... tensors) {
        return stack(Arrays.asList(tensors), 0);
    }

    /**
     * {@code cond ? a : b} elementwise; {@code a} and {@code b} are tensors or numbers.
     * Example: {@code where(x.gt(0), x, 0)} is relu.
     */
    public static Tensor where(Tensor cond, Object a, Object b) {
        return Elementwise.where(cond, a, b);
    }

    // ---------------------------------------------------------------- autograd and memory

    /**
     * Opens a scope in which ops record no gradient history, as {@code with torch.no_grad()}.
     * Use with try-with-resources.
     */
    public static GradMode.NoGrad noGrad() {
        return GradMode.disable();
    }

    /** Whether gradient history is being recorded on this thread. */
    public static boolean isGradEnabled() {
        return GradMode.isEnabled();
    }

    /** Opens a memory scope: tensors realized inside are freed when it closes. */
    public static Scope scope() {
        return new Scope(MemoryScope.open("scope"));
    }

    /** Bytes of off-heap memory that tensors hold now. */
    public static long allocatedBytes() {
        return Memory.allocatedBytes();
    }

    // ---------------------------------------------------------------- devices

    /** Whether a CUDA device can be used, as {@code torch.cuda.is_available()}. */
    public static boolean isCudaAvailable() {
        return Backends.has("cuda") && Backends.forDevice(Device.cuda(0)).isAvailable(Device.cuda(0));
    }
}

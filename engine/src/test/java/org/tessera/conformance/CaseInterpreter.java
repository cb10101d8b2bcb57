package org.tessera.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Index;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ValuesIndices;
import org.tessera.graph.Op;
import org.tessera.ops.Elementwise;

/**
 * Runs an oracle case program with the Tessera API: each oracle op name maps to the Tessera
 * call that PyTorch's function corresponds to (see the op list in oracle.py's docstring).
 * Values are {@link Tensor}s, or {@link ValuesIndices} for {@code max}/{@code min} over a dim.
 */
final class CaseInterpreter {
    private final java.util.function.UnaryOperator<Tensor> place;
    private final Map<String, Object> env = new LinkedHashMap<>();

    CaseInterpreter(Device device) {
        this(t -> t.to(device));
    }

    /** An interpreter that puts every tensor it makes where {@code place} says (e.g. distributed). */
    CaseInterpreter(java.util.function.UnaryOperator<Tensor> place) {
        this.place = place;
    }

    /** Creates the case's named inputs on the device; those in {@code wrt} require grad. */
    void defineInputs(JsonNode inputs, Set<String> wrt) {
        inputs.fields().forEachRemaining(e -> {
            Tensor t = tensor(e.getValue());
            if (wrt.contains(e.getKey()) || e.getValue().path("requires_grad").asBoolean(false)) {
                t.requiresGrad(true);
            }
            env.put(e.getKey(), t);
        });
    }

    /** Evaluates one {@code {"out": name, "op": ...}} statement and binds its value. */
    Object bind(JsonNode statement) {
        Object v = eval(statement);
        env.put(statement.get("out").asText(), v);
        return v;
    }

    /** Binds a value under a name (for the oracle's single-expression form). */
    void bind(String name, Object value) {
        env.put(name, value);
    }

    /** An input or binding by name; {@code m.values} and {@code m.indices} pick from a max/min result. */
    Object lookup(String name) {
        Object v = env.get(name);
        if (v != null) {
            return v;
        }
        int dot = name.lastIndexOf('.');
        if (dot > 0 && env.get(name.substring(0, dot)) instanceof ValuesIndices vi) {
            return switch (name.substring(dot + 1)) {
                case "values" -> vi.values();
                case "indices" -> vi.indices();
                default -> throw new IllegalArgumentException("case: unknown field in " + name);
            };
        }
        throw new IllegalArgumentException("case: unknown name " + name);
    }

    /**
     * A tensor from an oracle spec ({@code data} flat or nested, optional {@code shape}, {@code dtype}),
     * created as a leaf on the device.
     */
    Tensor tensor(JsonNode spec) {
        DType dtype = DType.of(spec.path("dtype").asText("float64"));
        List<JsonNode> flat = new ArrayList<>();
        List<Long> nestedShape = new ArrayList<>();
        flatten(spec.get("data"), flat, nestedShape, 0);
        long[] shape = spec.has("shape") ? longs(spec.get("shape")) : nestedShape.stream().mapToLong(Long::longValue).toArray();
        int n = flat.size();
        Tensor t;
        if (shape.length == 0) {
            JsonNode v = flat.get(0);
            t = dtype == DType.BOOL ? Tessera.tensor(v.asBoolean(), dtype) : Tessera.tensor(number(v), dtype);
        } else {
            t = switch (dtype) {
                case FLOAT32 -> {
                    float[] a = new float[n];
                    for (int i = 0; i < n; i++) a[i] = (float) number(flat.get(i)).doubleValue();
                    yield Tessera.fromArray(a, shape);
                }
                case FLOAT64 -> {
                    double[] a = new double[n];
                    for (int i = 0; i < n; i++) a[i] = number(flat.get(i)).doubleValue();
                    yield Tessera.fromArray(a, shape);
                }
                case INT64 -> {
                    long[] a = new long[n];
                    for (int i = 0; i < n; i++) a[i] = flat.get(i).asLong();
                    yield Tessera.fromArray(a, shape);
                }
                case INT32 -> {
                    int[] a = new int[n];
                    for (int i = 0; i < n; i++) a[i] = flat.get(i).asInt();
                    yield Tessera.fromArray(a, shape);
                }
                case BOOL -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) a[i] = flat.get(i).asBoolean();
                    yield Tessera.tensor(a, DType.BOOL).reshape(shape);
                }
            };
        }
        return place.apply(t);
    }

    private static void flatten(JsonNode data, List<JsonNode> out, List<Long> shape, int depth) {
        if (!data.isArray()) {
            out.add(data);
            return;
        }
        if (shape.size() == depth) {
            shape.add((long) data.size());
        }
        for (JsonNode d : data) {
            flatten(d, out, shape, depth + 1);
        }
    }

    /** A JSON number as Long or Double; the strings "NaN", "Infinity", "-Infinity" as doubles. */
    private static Number number(JsonNode v) {
        if (v.isTextual()) {
            return Double.parseDouble(v.asText());
        }
        return v.isIntegralNumber() ? (Number) v.asLong() : (Number) v.asDouble();
    }

    /** An op argument: a name, a nested op, an inline constant, a number or a boolean. */
    private Object arg(JsonNode a) {
        if (a.isTextual()) {
            return lookup(a.asText());
        }
        if (a.isObject()) {
            return a.has("op") ? eval(a) : tensor(a);
        }
        if (a.isBoolean()) {
            return a.asBoolean();
        }
        if (a.isNumber()) {
            return number(a);
        }
        throw new IllegalArgumentException("case: unsupported argument " + a);
    }

    /** Evaluates an op node. */
    Object eval(JsonNode node) {
        String op = node.get("op").asText();
        List<Object> args = new ArrayList<>();
        node.path("args").forEach(a -> args.add(arg(a)));
        JsonNode kw = node;
        return switch (op) {
            case "add" -> binary(Op.ADD, args);
            case "sub" -> binary(Op.SUB, args);
            case "mul" -> binary(Op.MUL, args);
            case "div" -> binary(Op.DIV, args);
            case "pow" -> binary(Op.POW, args);
            case "maximum" -> t(args, 0).maximum(t(args, 1));
            case "minimum" -> t(args, 0).minimum(t(args, 1));
            case "eq" -> compare(Op.EQ, args);
            case "ne" -> compare(Op.NE, args);
            case "lt" -> compare(Op.LT, args);
            case "le" -> compare(Op.LE, args);
            case "gt" -> compare(Op.GT, args);
            case "ge" -> compare(Op.GE, args);
            case "neg" -> t(args, 0).neg();
            case "abs" -> t(args, 0).abs();
            case "exp" -> t(args, 0).exp();
            case "log" -> t(args, 0).log();
            case "sqrt" -> t(args, 0).sqrt();
            case "relu" -> t(args, 0).relu();
            case "sigmoid" -> t(args, 0).sigmoid();
            case "tanh" -> t(args, 0).tanh();
            case "where" -> Tessera.where(t(args, 0), args.get(1), args.get(2));
            case "clamp" -> t(args, 0).clamp(optNumber(kw, "min"), optNumber(kw, "max"));
            case "matmul" -> t(args, 0).matmul(t(args, 1));
            case "transpose" -> {
                Tensor x = t(args, 0);
                yield x.dim() < 2 && !kw.has("dim0") ? x
                        : x.transpose(kw.path("dim0").asInt(-2), kw.path("dim1").asInt(-1));
            }
            case "permute" -> t(args, 0).permute(ints(kw.get("dims")));
            case "reshape" -> t(args, 0).reshape(longs(kw.get("shape")));
            case "broadcast_to" -> t(args, 0).expand(longs(kw.get("shape")));
            case "unsqueeze" -> t(args, 0).unsqueeze(kw.get("dim").asInt());
            case "squeeze" -> kw.hasNonNull("dim") ? t(args, 0).squeeze(kw.get("dim").asInt()) : t(args, 0).squeeze();
            case "cat" -> Tessera.cat(tensors(args), kw.path("dim").asInt(0));
            case "stack" -> Tessera.stack(tensors(args), kw.path("dim").asInt(0));
            case "sum" -> kw.hasNonNull("dim") ? t(args, 0).sum(ints(kw.get("dim")), keepDim(kw)) : t(args, 0).sum();
            case "mean" -> kw.hasNonNull("dim") ? t(args, 0).mean(ints(kw.get("dim")), keepDim(kw)) : t(args, 0).mean();
            case "prod" -> kw.hasNonNull("dim") ? t(args, 0).prod(kw.get("dim").asInt(), keepDim(kw)) : t(args, 0).prod();
            case "max" -> kw.hasNonNull("dim") ? t(args, 0).max(kw.get("dim").asInt(), keepDim(kw)) : t(args, 0).max();
            case "min" -> kw.hasNonNull("dim") ? t(args, 0).min(kw.get("dim").asInt(), keepDim(kw)) : t(args, 0).min();
            case "argmax" -> kw.hasNonNull("dim") ? t(args, 0).argmax(kw.get("dim").asInt(), keepDim(kw))
                    : t(args, 0).argmax();
            case "argmin" -> kw.hasNonNull("dim") ? t(args, 0).argmin(kw.get("dim").asInt(), keepDim(kw))
                    : t(args, 0).argmin();
            case "softmax" -> t(args, 0).softmax(kw.get("dim").asInt());
            case "log_softmax" -> t(args, 0).logSoftmax(kw.get("dim").asInt());
            case "slice" -> t(args, 0).get(index(kw.get("index")));
            case "mask" -> t(args, 0).get(t(args, 1));
            case "masked_select" -> t(args, 0).maskedSelect(t(args, 1));
            default -> throw new UnsupportedOperationException("case: op " + op + " has no Tessera mapping here");
        };
    }

    /** Arithmetic: the Tensor method when the left is a tensor, else the engine's builder (number first). */
    private static Object binary(Op op, List<Object> args) {
        Object a = args.get(0);
        Object b = args.get(1);
        if (a instanceof Tensor x && b instanceof Tensor y) {
            return switch (op) {
                case ADD -> x.add(y);
                case SUB -> x.sub(y);
                case MUL -> x.mul(y);
                case DIV -> x.div(y);
                default -> x.pow(y);
            };
        }
        if (a instanceof Tensor x && b instanceof Number y) {
            return switch (op) {
                case ADD -> x.add(y);
                case SUB -> x.sub(y);
                case MUL -> x.mul(y);
                case DIV -> x.div(y);
                default -> x.pow(y);
            };
        }
        return Elementwise.binary(op, a, b);
    }

    private static Object compare(Op op, List<Object> args) {
        if (args.get(0) instanceof Tensor x && args.get(1) instanceof Tensor y) {
            return switch (op) {
                case EQ -> x.eq(y);
                case NE -> x.ne(y);
                case LT -> x.lt(y);
                case LE -> x.le(y);
                case GT -> x.gt(y);
                default -> x.ge(y);
            };
        }
        if (args.get(0) instanceof Tensor x && args.get(1) instanceof Number y) {
            return switch (op) {
                case EQ -> x.eq(y);
                case NE -> x.ne(y);
                case LT -> x.lt(y);
                case LE -> x.le(y);
                case GT -> x.gt(y);
                default -> x.ge(y);
            };
        }
        return Elementwise.compare(op, args.get(0), args.get(1));
    }

    private static Tensor t(List<Object> args, int i) {
        if (args.get(i) instanceof Tensor t) {
            return t;
        }
        throw new IllegalArgumentException("case: argument " + i + " must be a tensor, got " + args.get(i));
    }

    private static List<Tensor> tensors(List<Object> args) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            out.add(t(args, i));
        }
        return out;
    }

    private static boolean keepDim(JsonNode kw) {
        return kw.path("keepdim").asBoolean(false);
    }

    private static Number optNumber(JsonNode kw, String key) {
        return kw.hasNonNull(key) ? number(kw.get(key)) : null;
    }

    static int[] ints(JsonNode n) {
        if (!n.isArray()) {
            return new int[] {n.asInt()};
        }
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    static long[] longs(JsonNode n) {
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asLong();
        }
        return out;
    }

    /** The oracle's index list: ints, "start:stop:step" strings, "...", and null for a new axis. */
    private static Index[] index(JsonNode items) {
        Index[] out = new Index[items.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode it = items.get(i);
            if (it.isNull()) {
                out[i] = Index.newAxis();
            } else if (it.isIntegralNumber()) {
                out[i] = Index.at(it.asLong());
            } else if (it.isTextual()) {
                out[i] = Index.parse(it.asText()).get(0);
            } else {
                throw new UnsupportedOperationException("case: index item " + it + " has no Tessera mapping here");
            }
        }
        return out;
    }
}

"""Building blocks for the conformance cases: input specs, op nodes, and the case list."""
import random

FLOATS = ("float32", "float64")
RNG = random.Random(20240611)
CASES = []


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def data(values, shape, dtype):
    """An input spec from flat values."""
    assert len(values) == numel(shape), (values, shape)
    return {"data": list(values), "shape": list(shape), "dtype": dtype}


def rnd(shape, dtype, lo=-2.0, hi=2.0, avoid_zero=False):
    """Random multiples of 1/64 in [lo, hi] (exact in float32), or integers for int dtypes."""
    out = []
    for _ in range(numel(shape)):
        if dtype in FLOATS:
            while True:
                v = RNG.randint(int(lo * 64), int(hi * 64)) / 64.0
                if not (avoid_zero and v == 0):
                    break
        else:
            v = RNG.randint(int(lo), int(hi))
        out.append(v)
    return data(out, shape, dtype)


def seq(shape, dtype, start=0, step=1):
    """start, start + step, ... in row-major order."""
    vals = [start + i * step for i in range(numel(shape))]
    if dtype in FLOATS:
        vals = [float(v) for v in vals]
    return data(vals, shape, dtype)


def op(name, *args, **kw):
    node = {"op": name, "args": list(args)}
    node.update(kw)
    return node


def let(out, name, *args, **kw):
    node = {"out": out}
    node.update(op(name, *args, **kw))
    return node


def case(name, inputs, program, outputs=None, wrt=None, grad_output=None, loss=None, engine_error=None):
    """Adds a case; with wrt, backward runs from `loss` (default: the last binding)."""
    c = {"name": name, "inputs": inputs, "program": program}
    if outputs is not None:
        c["outputs"] = outputs
    if wrt:
        bw = {"loss": loss or program[-1]["out"], "wrt": list(wrt)}
        if grad_output is not None:
            bw["grad_output"] = grad_output
        c["backward"] = bw
    if engine_error:
        c["engine_error"] = engine_error        # the engine's exception type when it is not IllegalArgumentException
    assert name not in {k["name"] for k in CASES}, name
    CASES.append(c)


def sfx(dtype):
    return "f32" if dtype == "float32" else "f64"


def gout(shape, dtype):
    """A random upstream gradient, so that gradients are not just sums of ones."""
    return rnd(shape, dtype, -1.5, 1.5)


def distinct(shape, dt, step=0.125):
    """A random permutation of distinct multiples of step (a power of two) around 0: no ties."""
    n = numel(shape)
    vals = [(i - n // 2) * step for i in range(n)]
    RNG.shuffle(vals)
    return data(vals, shape, dt)


def matmul_shape(sa, sb):
    a, b = list(sa), list(sb)
    va, vb = len(a) == 1, len(b) == 1
    if va:
        a = [1] + a
    if vb:
        b = b + [1]
    ba, bb = a[:-2], b[:-2]
    n = max(len(ba), len(bb))
    ba, bb = [1] * (n - len(ba)) + ba, [1] * (n - len(bb)) + bb
    out = [max(p, q) for p, q in zip(ba, bb)] + [a[-2], b[-1]]
    if va:
        out.pop(-2)
    if vb:
        out.pop(-1)
    return out

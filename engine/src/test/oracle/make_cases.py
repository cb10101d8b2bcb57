#!/usr/bin/python3
"""Writes the op conformance cases and their PyTorch-computed expected values.

    /usr/bin/python3 make_cases.py [--oracle PATH/TO/oracle.py]

Writes ../resources/oracle/cases.json (the case programs, in the oracle's case format) and
../resources/oracle/expected.json (the oracle's answers). The oracle is run twice: once
computing in float64, which gives the values, and once in each input's declared dtype
(--native), which gives the result dtypes (type promotion). Both runs must agree on
shapes, errors and which gradients exist; the script stops otherwise.

Every float input is a multiple of 1/64 in a small range, so it is exact in float32 and
float64 alike: the float64 answer is then the exact answer for the float32 inputs too.
The random values come from a fixed seed, so regenerating gives the same files.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True      # no __pycache__ next to the committed scripts
import float_cases  # noqa: E402
from case_kit import CASES, FLOATS, case, data, let, op, rnd, seq  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "resources", "oracle"))


# ---------------------------------------------------------------- integer and mixed dtypes

def integers():
    i64 = lambda shape, lo=-5, hi=5: rnd(shape, "int64", lo, hi)
    i32 = lambda shape, lo=-5, hi=5: rnd(shape, "int32", lo, hi)
    case("promote_int64_plus_float32", {"i": i64([2, 3]), "f": rnd([2, 3], "float32")},
         [let("z", "add", "i", "f"), let("w", "mul", "f", "i")], outputs="all")
    case("promote_int_div_int", {"a": data([7, -7, 6, 0, 1, -9], [2, 3], "int64"),
                                 "b": data([2, 2, 3, 5, -4, 4], [2, 3], "int64"), "c": data([3, 5, 9], [3], "int32")},
         [let("q", "div", "a", "b"), let("qs", "div", "a", 4), let("q32", "div", "c", op("add", "c", 1))],
         outputs="all")
    case("promote_int32_with_int64", {"a": i32([2, 3]), "b": i64([3])},
         [let("add", "add", "a", "b"), let("mul", "mul", "b", "a"), let("sub", "sub", "a", "b")], outputs="all")
    case("promote_int_with_python_scalars", {"a": i32([4]), "b": i64([4])},
         [let("a_int", "add", "a", 3), let("a_float", "add", "a", 2.5), let("b_int", "mul", "b", -2),
          let("b_float", "mul", "b", 0.5), let("a_bool", "add", "a", True)], outputs="all")
    case("promote_zero_dim_tensors", {"i": i64([3]), "d": data([1.5], [], "float64"), "f": rnd([3], "float32"),
                                      "j": data([4], [], "int64"), "k": data([2], [], "int32")},
         [let("i_d", "add", "i", "d"), let("f_d", "add", "f", "d"), let("k_i", "mul", "k", "i"),
          let("j_k", "add", "j", "k"), let("f_j", "mul", "f", "j")], outputs="all")
    case("promote_float32_with_float64", {"f": rnd([2, 3], "float32"), "d": rnd([2, 3], "float64")},
         [let("s", "add", "f", "d"), let("m", "mul", "d", "f"), let("c", "cat", "f", "d")], outputs="all")
    case("int_arithmetic", {"a": i64([2, 3], -9, 9), "b": i64([2, 3], 1, 4)},
         [let("add", "add", "a", "b"), let("sub", "sub", "a", "b"), let("mul", "mul", "a", "b"),
          let("pow", "pow", "b", 3), let("powt", "pow", "a", "b"), let("neg", "neg", "a"), let("abs", "abs", "a")],
         outputs="all")
    case("int_unary_to_float", {"a": i64([5], 1, 9), "b": i32([3], 0, 4)},
         [let("exp", "exp", "b"), let("sqrt", "sqrt", "a"), let("log", "log", "a"), let("sig", "sigmoid", "b"),
          let("tanh", "tanh", "b")], outputs="all")
    case("int_reductions", {"a": i32([3, 4], -9, 9), "b": i64([3, 4], -9, 9), "m": data(
        [True, False, True, True, False, True], [2, 3], "bool")},
         [let("sa", "sum", "a"), let("sa1", "sum", "a", dim=1), let("pa", "prod", "a", dim=0),
          let("sb", "sum", "b", dim=0, keepdim=True), let("mb", "max", "b", dim=1), let("nb", "min", "a"),
          let("amb", "argmax", "b", dim=0), let("amn", "argmin", "a"), let("sm", "sum", "m"),
          let("sm0", "sum", "m", dim=0)], outputs="all")
    case("int_compare_where", {"a": i64([3, 4], -3, 3), "b": i32([4], -3, 3)},
         [let("lt", "lt", "a", "b"), let("eq", "eq", "a", 0), let("gef", "ge", "a", 0.5),
          let("w", "where", "lt", "a", "b"), let("ws", "where", op("gt", "a", 0), "a", 0)], outputs="all")
    case("int_matmul", {"a": i64([2, 3], -4, 4), "b": i64([3, 2], -4, 4), "c": i64([3], -4, 4),
                        "d": i32([2, 2], -4, 4)},
         [let("ab", "matmul", "a", "b"), let("ac", "matmul", "a", "c"), let("dd", "matmul", "d", "d")], outputs="all")
    case("int_movement", {"a": seq([2, 3, 4], "int64"), "c": seq([3], "int32", 10)},
         [let("t", "transpose", "a"), let("p", "permute", "a", dims=[1, 2, 0]), let("r", "reshape", "a", shape=[4, 6]),
          let("s", "slice", "a", index=[1, "::2", "1:"]), let("cat", "cat", op("slice", "a", index=[0, 0]), "c"),
          let("st", "stack", "c", "c", dim=1), let("e", "broadcast_to", "c", shape=[2, 3]),
          let("m", "mask", "a", op("gt", "a", 17))], outputs="all")
    case("bool_ops", {"p": data([True, False, True, False], [4], "bool"), "q": data([True, True, False, False], [4], "bool")},
         [let("add", "add", "p", "q"), let("mul", "mul", "p", "q"), let("eq", "eq", "p", "q"),
          let("mx", "max", "p"), let("w", "where", "p", "q", False)], outputs="all")
    case("int_float_exponent_and_zero_division", {"a": data([4, 9, 0, 2], [4], "int64"),
                                                 "z": data([0, 0, 0, 1], [4], "int64")},
         [let("root", "pow", "a", 0.5), let("q", "div", "a", "z"), let("fz", "div", "a", 0.0)], outputs="all")
    case("int_overflow_and_exactness", {"a": data([2000000000, 2000000000, -5], [3], "int32"),
                                        "b": data([9007199254740993, -9007199254740993, 3], [3], "int64")},
         [let("sum", "sum", "a"), let("wrap", "add", "a", "a"), let("big", "add", "b", 1),
          let("bmax", "max", "b"), let("bmul", "mul", "b", 2), let("cmp", "eq", "b", op("add", "b", 1))],
         outputs="all")
    case("cat_mixed_dtypes", {"a": i64([2], 0, 5), "b": rnd([3], "float32")},
         [let("c", "cat", "a", "b")], outputs="all")


# ---------------------------------------------------------------- expected errors

def errors():
    f = lambda shape: rnd(shape, "float32")
    case("error_broadcast_mismatch", {"a": f([2, 3]), "v": f([2])},
         [let("ok", "add", "a", op("unsqueeze", "v", dim=1)), let("bad", "add", "a", "v")])
    case("error_matmul_inner_mismatch", {"a": f([2, 3]), "b": f([4, 2])}, [let("bad", "matmul", "a", "b")])
    case("error_matmul_batch_mismatch", {"a": f([2, 3, 4]), "b": f([3, 4, 2])}, [let("bad", "matmul", "a", "b")])
    case("error_matmul_vector_mismatch", {"a": f([3]), "b": f([4])}, [let("bad", "matmul", "a", "b")])
    case("error_reshape_wrong_size", {"a": f([2, 3])}, [let("bad", "reshape", "a", shape=[4, 2])])
    case("error_reshape_two_inferred", {"a": f([2, 3])}, [let("bad", "reshape", "a", shape=[-1, -1])])
    case("error_cat_size_mismatch", {"a": f([2, 3]), "b": f([2, 4])}, [let("bad", "cat", "a", "b", dim=0)])
    case("error_cat_rank_mismatch", {"a": f([2, 3]), "b": f([3])}, [let("bad", "cat", "a", "b")])
    case("error_stack_shape_mismatch", {"a": f([2, 3]), "b": f([3, 2])}, [let("bad", "stack", "a", "b")])
    case("error_mean_of_int", {"a": rnd([3], "int64", 0, 5)}, [let("bad", "mean", "a")])
    case("error_int_negative_power", {"a": rnd([3], "int64", 1, 5)}, [let("bad", "pow", "a", -1)])
    case("error_permute_wrong_length", {"a": f([2, 3, 4])}, [let("bad", "permute", "a", dims=[1, 0])])
    case("error_permute_repeated_dim", {"a": f([2, 3])}, [let("bad", "permute", "a", dims=[0, 0])])
    case("error_sum_dim_out_of_range", {"a": f([2, 3])}, [let("bad", "sum", "a", dim=2)])
    case("error_unsqueeze_dim_out_of_range", {"a": f([2, 3])}, [let("bad", "unsqueeze", "a", dim=4)])
    case("error_broadcast_to_incompatible", {"a": f([3, 2])}, [let("bad", "broadcast_to", "a", shape=[3, 3])])
    case("error_mask_shape_mismatch", {"a": f([3, 4]), "m": data([True, False], [2], "bool")},
         [let("bad", "mask", "a", "m")])
    case("error_where_float_condition", {"a": f([3]), "c": f([3])}, [let("bad", "where", "c", "a", "a")])
    case("error_max_of_empty_dim", {"a": data([], [0, 3], "float32")}, [let("bad", "max", "a", dim=0)])
    case("error_index_out_of_range", {"a": f([2, 3])}, [let("bad", "slice", "a", index=[0, 3])],
         engine_error="IndexOutOfBoundsException")
    case("error_neg_of_bool", {"p": data([True, False], [2], "bool")}, [let("bad", "neg", "p")])
    case("error_sub_of_bools", {"p": data([True, False], [2], "bool")}, [let("bad", "sub", "p", "p")])
    case("error_sub_bool_minus_int", {"p": data([True, False], [2], "bool"), "i": data([3, 4], [2], "int64")},
         [let("bad", "sub", "p", "i")])
    case("error_sub_int_minus_bool", {"p": data([True, False], [2], "bool"), "i": data([3, 4], [2], "int64")},
         [let("bad", "sub", "i", "p")])
    case("error_sub_bool_minus_scalar", {"p": data([True, False], [2], "bool")}, [let("bad", "sub", "p", 1)])
    case("error_matmul_zero_dim", {"a": data([2.0], [], "float32"), "b": f([3])}, [let("bad", "matmul", "a", "b")])
    case("error_too_many_indices", {"a": f([2, 3])}, [let("bad", "slice", "a", index=[0, 1, 0])])


# ---------------------------------------------------------------- driver

def find_oracle(explicit):
    candidates = [explicit, os.environ.get("TESSERA_ORACLE"),
                  os.path.join(HERE, "..", "..", "..", "..", "shared", "oracle", "oracle.py"),
                  os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "oracle", "oracle.py")]
    for c in candidates:
        if c and os.path.isfile(c):
            return os.path.normpath(c)
    sys.exit("make_cases: oracle.py not found; pass --oracle PATH or set TESSERA_ORACLE")


def run_oracle(oracle, cases_path, native):
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        cmd = [sys.executable, oracle, cases_path, "-o", out.name, "--flat"] + (["--native"] if native else [])
        subprocess.run(cmd, check=True)
        return json.load(out)


def merge(name, exact, native):
    """Values of the float64 run with the dtypes of the native run; both must agree on the rest."""
    if exact is None or native is None:
        if exact is not None or native is not None:
            sys.exit(f"make_cases: {name}: one run has a value where the other has none")
        return None
    if set(exact) == {"values", "indices"}:
        return {k: merge(f"{name}.{k}", exact[k], native[k]) for k in ("values", "indices")}
    if exact["shape"] != native["shape"]:
        sys.exit(f"make_cases: {name}: shapes differ between the runs: {exact['shape']} and {native['shape']}")
    return {"dtype": native["dtype"], "shape": exact["shape"], "data": exact["data"]}


def build_expected(exact, native):
    results = []
    for e, n in zip(exact["results"], native["results"]):
        assert e["name"] == n["name"]
        if ("error" in e) != ("error" in n):
            sys.exit(f"make_cases: {e['name']}: only one of the runs raised: {e.get('error') or n.get('error')}")
        if "error" in e:
            results.append({"name": e["name"], "error": e["error"], "at": e.get("at")})
            continue
        r = {"name": e["name"],
             "outputs": {k: merge(f"{e['name']}/{k}", v, n["outputs"][k]) for k, v in e["outputs"].items()}}
        if "grads" in e:
            r["grads"] = {k: merge(f"{e['name']}/grad {k}", v, n["grads"][k]) for k, v in e["grads"].items()}
        results.append(r)
    oracle = dict(exact["oracle"], compute="values in float64, dtypes from the declared input dtypes")
    return {"oracle": oracle, "results": results}


def dump(obj_list, path, head=None):
    """One case (or result) per line: small diffs when a case changes."""
    with open(path, "w") as f:
        if head is not None:
            f.write('{"oracle": ' + json.dumps(head) + ',\n "results": [\n')
        else:
            f.write("[\n")
        f.write(",\n".join(json.dumps(o, separators=(",", ":")) for o in obj_list))
        f.write("\n]}\n" if head is not None else "\n]\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--oracle", help="path to oracle.py (default: $TESSERA_ORACLE or shared/oracle/oracle.py)")
    a = p.parse_args()
    oracle = find_oracle(a.oracle)
    for dt in FLOATS:
        for group in float_cases.GROUPS:
            group(dt)
    integers()
    errors()
    os.makedirs(OUT_DIR, exist_ok=True)
    cases_path = os.path.join(OUT_DIR, "cases.json")
    dump(CASES, cases_path)
    exact = run_oracle(oracle, cases_path, native=False)
    native = run_oracle(oracle, cases_path, native=True)
    expected = build_expected(exact, native)
    dump(expected["results"], os.path.join(OUT_DIR, "expected.json"), head=expected["oracle"])
    errors_n = sum(1 for r in expected["results"] if "error" in r)
    print(f"make_cases: {len(CASES)} cases ({errors_n} expected errors) written to {OUT_DIR}")


if __name__ == "__main__":
    main()

"""The float cases: every group runs once per float dtype (float32 and float64)."""
from case_kit import RNG, case, data, distinct, gout, let, matmul_shape, op, rnd, seq, sfx

def elementwise(dt):
    s = sfx(dt)
    unary = {
        "neg": rnd([3, 4], dt), "abs": rnd([3, 4], dt, avoid_zero=True), "exp": rnd([3, 4], dt),
        "log": rnd([3, 4], dt, 0.125, 4), "sqrt": rnd([3, 4], dt, 0.125, 4), "relu": rnd([3, 4], dt, avoid_zero=True),
        "sigmoid": rnd([3, 4], dt, -4, 4), "tanh": rnd([3, 4], dt, -3, 3),
    }
    for name, x in unary.items():
        case(f"{name}_{s}", {"x": x}, [let("y", name, "x")], wrt=["x"], grad_output=gout([3, 4], dt))
    case(f"relu_abs_at_zero_{s}", {"x": data([-1.5, 0.0, 0.0, 2.25, -0.0, 0.5], [6], dt)},
         [let("r", "relu", "x"), let("a", "abs", "x"), let("y", "add", "r", "a")], outputs="all",
         wrt=["x"], grad_output=gout([6], dt))
    for name in ("add", "sub", "mul", "div"):
        y = rnd([3, 4], dt, 0.25, 2) if name == "div" else rnd([3, 4], dt)
        case(f"{name}_{s}", {"x": rnd([3, 4], dt), "y": y}, [let("z", name, "x", "y")],
             wrt=["x", "y"], grad_output=gout([3, 4], dt))
    case(f"pow_tensor_tensor_{s}", {"x": rnd([3, 4], dt, 0.25, 2.5), "y": rnd([3, 4], dt, -2, 2.5)},
         [let("z", "pow", "x", "y")], wrt=["x", "y"], grad_output=gout([3, 4], dt))
    case(f"pow_scalar_exponents_{s}", {"x": rnd([2, 3], dt, 0.25, 2.5)},
         [let("sq", "pow", "x", 2), let("cube", "pow", "x", 3), let("root", "pow", "x", 0.5),
          let("inv", "pow", "x", -1), let("frac", "pow", "x", 1.5),
          let("loss", "sum", op("add", op("add", op("add", "sq", "cube"), op("add", "root", "inv")), "frac"))],
         outputs="all", wrt=["x"])
    case(f"pow_negative_base_integer_exponent_{s}", {"x": rnd([5], dt, -2, -0.25)},
         [let("z", "pow", "x", 3)], wrt=["x"], grad_output=gout([5], dt))
    case(f"scalar_operands_{s}", {"x": rnd([2, 3], dt, avoid_zero=True)},
         [let("a", "add", "x", 2.5), let("b", "sub", "x", 1), let("c", "mul", "x", -3),
          let("d", "div", "x", 4), let("e", "div", "x", 0.5), let("f", "mul", "x", True),
          let("loss", "sum", op("mul", op("add", op("add", "a", "b"), op("add", "c", "d")), "e"))],
         outputs="all", wrt=["x"])
    case(f"scalar_first_operand_{s}", {"x": rnd([2, 3], dt, 0.25, 2)},
         [let("a", "add", 1.5, "x"), let("b", "sub", 2, "x"), let("c", "mul", 0.5, "x"),
          let("d", "div", 3, "x"), let("loss", "sum", op("add", op("mul", "a", "b"), op("mul", "c", op("exp", "d"))))],
         outputs="all", wrt=["x"])
    case(f"zero_dim_inputs_{s}", {"x": data([1.5], [], dt), "y": data([-0.75], [], dt)},
         [let("z", "mul", op("add", "x", "y"), op("exp", "y"))], wrt=["x", "y"])
    case(f"composite_chain_{s}", {"x": rnd([4, 3], dt, 0.25, 2), "y": rnd([4, 3], dt)},
         [let("z", "sqrt", op("add", op("mul", "x", "x"), op("exp", op("neg", op("abs", "y"))))),
          let("w", "log", op("div", "z", op("sigmoid", "y"))), let("t", "tanh", op("sub", "w", "z"))],
         outputs="all", wrt=["x", "y"], grad_output=gout([4, 3], dt))
    case(f"nonfinite_values_{s}",
         {"x": data([0.0, -1.0, "Infinity", "-Infinity", 1.0, 4.0], [6], dt)},
         [let("lg", "log", "x"), let("ex", "exp", "x"), let("sq", "sqrt", "x"),
          let("dv", "div", 1.0, "x"), let("th", "tanh", "x"), let("sg", "sigmoid", "x")], outputs="all")


def broadcasting(dt):
    s = sfx(dt)
    case(f"broadcast_col_plus_row_{s}", {"a": rnd([3, 1], dt), "b": rnd([1, 4], dt)},
         [let("z", "add", "a", "b")], wrt=["a", "b"], grad_output=gout([3, 4], dt))
    case(f"broadcast_3d_times_vector_{s}", {"a": rnd([2, 3, 4], dt), "b": rnd([4], dt)},
         [let("z", "mul", "a", "b")], wrt=["a", "b"], grad_output=gout([2, 3, 4], dt))
    case(f"broadcast_middle_dims_sub_{s}", {"a": rnd([2, 1, 4], dt), "b": rnd([3, 1], dt)},
         [let("z", "sub", "a", "b")], wrt=["a", "b"], grad_output=gout([2, 3, 4], dt))
    case(f"broadcast_vector_div_3d_{s}", {"a": rnd([4], dt), "b": rnd([2, 3, 4], dt, 0.5, 2)},
         [let("z", "div", "a", "b")], wrt=["a", "b"], grad_output=gout([2, 3, 4], dt))
    case(f"broadcast_pow_{s}", {"a": rnd([3, 1], dt, 0.5, 2), "b": rnd([4], dt, -1, 2)},
         [let("z", "pow", "a", "b")], wrt=["a", "b"], grad_output=gout([3, 4], dt))
    case(f"broadcast_zero_dim_tensor_{s}", {"a": rnd([2, 3], dt), "k": data([1.25], [], dt)},
         [let("z", "mul", "a", "k")], wrt=["a", "k"], grad_output=gout([2, 3], dt))
    case(f"broadcast_to_and_expand_{s}", {"a": rnd([3, 1], dt)},
         [let("e", "broadcast_to", "a", shape=[2, 3, 4]), let("f", "mul", "e", "e")],
         outputs="all", wrt=["a"], grad_output=gout([2, 3, 4], dt))


def comparisons(dt):
    s = sfx(dt)
    x = rnd([3, 4], dt, -2, 2)
    y = dict(x, data=[v if i % 3 == 0 else RNG.randint(-2, 2) * 1.0 for i, v in enumerate(x["data"])])
    x["data"] = [float(round(v)) for v in x["data"]]          # small integers: many ties
    prog = [let(n, n, "x", "y") for n in ("eq", "ne", "lt", "le", "gt", "ge")]
    case(f"compare_tensors_{s}", {"x": x, "y": y}, prog, outputs="all")
    prog = [let(n + "_s", n, "x", 0.5) for n in ("eq", "ne", "lt", "le", "gt", "ge")]
    prog += [let("eq_int", "eq", "x", 1), let("lt_bcast", "lt", "c", "r")]
    case(f"compare_scalars_and_broadcast_{s}",
         {"x": data([0.5, 1.0, -0.5, 0.5, 2.0, 1.0], [2, 3], dt), "c": rnd([3, 1], dt), "r": rnd([4], dt)},
         prog, outputs="all")
    case(f"compare_nan_{s}", {"x": data(["NaN", 1.0, "NaN"], [3], dt), "y": data(["NaN", 1.0, 2.0], [3], dt)},
         [let(n, n, "x", "y") for n in ("eq", "ne", "lt", "ge")], outputs="all")


def where_clamp(dt):
    s = sfx(dt)
    case(f"where_tensors_{s}", {"x": rnd([3, 4], dt, avoid_zero=True), "y": rnd([3, 4], dt)},
         [let("z", "where", op("gt", "x", 0), "x", "y")], wrt=["x", "y"], grad_output=gout([3, 4], dt))
    case(f"where_broadcast_condition_{s}",
         {"c": data([True, False, True], [3, 1], "bool"), "x": rnd([4], dt), "y": rnd([3, 4], dt)},
         [let("z", "where", "c", "x", "y")], wrt=["x", "y"], grad_output=gout([3, 4], dt))
    case(f"where_scalar_branch_{s}", {"x": rnd([2, 3], dt, avoid_zero=True)},
         [let("z", "where", op("lt", "x", 0), "x", 0.0)], wrt=["x"], grad_output=gout([2, 3], dt))
    case(f"clamp_{s}", {"x": data([-2.0, -0.75, -0.25, 0.0, 0.375, 1.0, 1.5, 3.0], [2, 4], dt)},
         [let("c", "clamp", "x", min=-0.5, max=1.25), let("lo", "clamp", "x", min=0.25),
          let("hi", "clamp", "x", max=-0.125),
          let("loss", "sum", op("mul", op("add", op("mul", "c", 2), op("add", "lo", "hi")), "x"))],
         outputs="all", wrt=["x"])
    case(f"clamp_at_bounds_{s}", {"x": data([-1.0, -0.5, 0.0, 1.0, 2.0], [5], dt)},
         [let("c", "clamp", "x", min=-0.5, max=1.0)], wrt=["x"], grad_output=gout([5], dt))
    case(f"maximum_minimum_{s}", {"x": data([1.0, -2.0, 3.0, 0.5, 0.0, -1.0], [2, 3], dt),
                                   "y": data([0.5, -2.0, 4.0, 0.5, 1.0, -3.0], [2, 3], dt)},
         [let("mx", "maximum", "x", "y"), let("mn", "minimum", "x", "y"),
          let("loss", "sum", op("add", op("mul", "mx", 3), "mn"))], outputs="all", wrt=["x", "y"])
    case(f"maximum_broadcast_as_clamp_{s}", {"x": rnd([3, 4], dt), "lo": data([-0.5], [1], dt)},
         [let("z", "maximum", "x", "lo")], wrt=["x", "lo"], grad_output=gout([3, 4], dt))


def matmuls(dt):
    s = sfx(dt)
    mm = [("vec_vec", [5], [5]), ("mat_mat", [3, 4], [4, 5]), ("batched_3d", [2, 3, 4], [2, 4, 2]),
          ("mat_vec", [3, 4], [4]), ("vec_mat", [4], [4, 3]), ("batched_3d_mat", [2, 3, 4], [4, 2]),
          ("mat_batched_3d", [3, 4], [2, 4, 2]), ("batch_broadcast", [1, 3, 4], [2, 4, 5]),
          ("batch_broadcast_4d", [2, 1, 2, 3], [3, 3, 2]), ("batched_vec", [2, 3, 4], [4]),
          ("vec_batched", [3], [2, 3, 4])]
    for name, sa, sb in mm:
        out_shape = matmul_shape(sa, sb)
        case(f"matmul_{name}_{s}", {"a": rnd(sa, dt), "b": rnd(sb, dt)}, [let("c", "matmul", "a", "b")],
             wrt=["a", "b"], grad_output=gout(out_shape, dt))
    case(f"matmul_larger_{s}", {"a": rnd([17, 33], dt), "b": rnd([33, 9], dt)},
         [let("c", "matmul", "a", "b")], wrt=["a", "b"], grad_output=gout([17, 9], dt))




def noncontiguous(dt):
    s = sfx(dt)
    case(f"matmul_transposed_left_{s}", {"a": rnd([4, 3], dt), "b": rnd([4, 5], dt)},
         [let("c", "matmul", op("transpose", "a"), "b")], wrt=["a", "b"], grad_output=gout([3, 5], dt))
    case(f"matmul_transposed_right_{s}", {"a": rnd([3, 4], dt), "b": rnd([5, 4], dt)},
         [let("c", "matmul", "a", op("transpose", "b"))], wrt=["a", "b"], grad_output=gout([3, 5], dt))
    case(f"matmul_both_transposed_{s}", {"a": rnd([4, 3], dt), "b": rnd([5, 4], dt)},
         [let("c", "matmul", op("transpose", "a"), op("transpose", "b"))], wrt=["a", "b"],
         grad_output=gout([3, 5], dt))
    case(f"matmul_strided_slices_{s}", {"a": rnd([6, 8], dt), "b": rnd([5, 7], dt)},
         [let("c", "matmul", op("slice", "a", index=["::2", "1::2"]), op("slice", "b", index=["1:", "2:5"]))],
         wrt=["a", "b"], grad_output=gout([3, 3], dt))
    case(f"matmul_batched_permuted_{s}", {"a": rnd([4, 2, 3], dt), "b": rnd([2, 4, 5], dt)},
         [let("c", "matmul", op("permute", "a", dims=[1, 2, 0]), "b")], wrt=["a", "b"],
         grad_output=gout([2, 3, 5], dt))
    case(f"matmul_expanded_operand_{s}", {"a": rnd([3, 4], dt), "b": rnd([2, 4, 2], dt)},
         [let("c", "matmul", op("broadcast_to", "a", shape=[2, 3, 4]), "b")], wrt=["a", "b"],
         grad_output=gout([2, 3, 2], dt))
    case(f"matmul_column_vector_slice_{s}", {"a": rnd([3, 4], dt), "m": rnd([4, 3], dt)},
         [let("c", "matmul", "a", op("slice", "m", index=[":", 1]))], wrt=["a", "m"],
         grad_output=gout([3], dt))
    case(f"elementwise_on_transposed_{s}", {"a": rnd([3, 4], dt), "b": rnd([4, 3], dt)},
         [let("t", "transpose", "a"), let("z", "add", op("exp", "t"), op("mul", "t", "b"))], outputs="all",
         wrt=["a", "b"], grad_output=gout([4, 3], dt), loss="z")
    case(f"elementwise_on_sliced_{s}", {"a": rnd([5, 6], dt), "b": rnd([3, 2], dt)},
         [let("v", "slice", "a", index=["::2", "-3::2"]), let("z", "mul", op("tanh", "v"), "b")],
         outputs="all", wrt=["a", "b"], grad_output=gout([3, 2], dt), loss="z")
    case(f"reductions_on_permuted_{s}", {"a": distinct([2, 3, 4], dt)},
         [let("p", "permute", "a", dims=[2, 0, 1]), let("s0", "sum", "p", dim=0), let("s12", "sum", "p", dim=[1, 2]),
          let("m", "mean", "p", dim=-1, keepdim=True), let("mx", "max", "p", dim=1),
          let("am", "argmin", "p", dim=2),
          let("loss", "add", op("sum", op("mul", "s0", "s0")), op("sum", op("mul", "mx.values", op("unsqueeze", "s12", dim=1))))],
         outputs="all", wrt=["a"])
    case(f"reshape_of_transposed_{s}", {"a": rnd([3, 4], dt)},
         [let("r", "reshape", op("transpose", "a"), shape=[2, 6]), let("z", "mul", "r", "r")],
         outputs="all", wrt=["a"], grad_output=gout([2, 6], dt))
    case(f"reshape_of_sliced_{s}", {"a": rnd([4, 6], dt)},
         [let("r", "reshape", op("slice", "a", index=["1:3", "::2"]), shape=[-1])], wrt=["a"],
         grad_output=gout([6], dt))
    case(f"mask_of_transposed_{s}", {"a": rnd([3, 4], dt, avoid_zero=True)},
         [let("t", "transpose", "a"), let("m", "mask", "t", op("gt", "t", 0)),
          let("loss", "sum", op("mul", "m", "m"))], outputs="all", wrt=["a"])
    case(f"cat_of_transposed_{s}", {"a": rnd([3, 2], dt), "b": rnd([2, 4], dt)},
         [let("c", "cat", op("transpose", "a"), "b", dim=1)], wrt=["a", "b"], grad_output=gout([2, 7], dt))
    case(f"softmax_on_transposed_{s}", {"a": rnd([4, 3], dt, -3, 3)},
         [let("s", "softmax", op("transpose", "a"), dim=1)], wrt=["a"], grad_output=gout([3, 4], dt))


def movement(dt):
    s = sfx(dt)
    x24 = lambda: rnd([2, 3, 4], dt)
    case(f"transpose_default_{s}", {"x": rnd([3, 4], dt)}, [let("t", "transpose", "x")],
         wrt=["x"], grad_output=gout([4, 3], dt))
    case(f"transpose_dims_3d_{s}", {"x": x24()}, [let("t", "transpose", "x", dim0=0, dim1=2)],
         wrt=["x"], grad_output=gout([4, 3, 2], dt))
    case(f"transpose_vector_identity_{s}", {"x": rnd([4], dt)}, [let("t", "transpose", "x")])
    case(f"permute_{s}", {"x": x24()}, [let("p", "permute", "x", dims=[2, 0, 1])],
         wrt=["x"], grad_output=gout([4, 2, 3], dt))
    case(f"permute_negative_dims_{s}", {"x": x24()}, [let("p", "permute", "x", dims=[-1, -3, -2])])
    case(f"reshape_{s}", {"x": x24()},
         [let("r1", "reshape", "x", shape=[6, 4]), let("r2", "reshape", "x", shape=[4, -1]),
          let("r3", "reshape", "x", shape=[24]), let("r4", "reshape", "x", shape=[2, 2, 3, 2]),
          let("loss", "sum", op("mul", op("add", "r1", op("reshape", "r2", shape=[6, 4])),
                                op("reshape", "r4", shape=[6, 4])))], outputs="all", wrt=["x"])
    case(f"reshape_scalar_{s}", {"x": data([2.5], [1, 1], dt)},
         [let("r", "reshape", "x", shape=[]), let("back", "reshape", "r", shape=[1])], outputs="all")
    case(f"broadcast_to_{s}", {"x": rnd([3, 1], dt)}, [let("b", "broadcast_to", "x", shape=[2, 3, 5])],
         wrt=["x"], grad_output=gout([2, 3, 5], dt))
    case(f"squeeze_unsqueeze_{s}", {"x": rnd([1, 3, 1, 2], dt)},
         [let("all", "squeeze", "x"), let("d0", "squeeze", "x", dim=0), let("d2", "squeeze", "x", dim=-2),
          let("noop", "squeeze", "x", dim=1), let("u0", "unsqueeze", "all", dim=0),
          let("u_last", "unsqueeze", "all", dim=-1), let("u1", "unsqueeze", "all", dim=1),
          let("loss", "sum", op("mul", op("reshape", "u1", shape=[6]), op("reshape", "d2", shape=[6])))],
         outputs="all", wrt=["x"])
    case(f"cat_{s}", {"a": rnd([2, 3], dt), "b": rnd([1, 3], dt), "c": rnd([2, 2], dt)},
         [let("c0", "cat", "a", "b", dim=0), let("c1", "cat", "a", "c", dim=1), let("cn", "cat", "a", "c", "a", dim=-1),
          let("loss", "add", op("sum", op("mul", "c0", "c0")), op("sum", op("mul", "cn", op("exp", "cn"))))],
         outputs="all", wrt=["a", "b", "c"])
    case(f"stack_{s}", {"a": rnd([2, 3], dt), "b": rnd([2, 3], dt)},
         [let("s0", "stack", "a", "b"), let("s1", "stack", "a", "b", dim=1), let("sl", "stack", "a", "b", "a", dim=-1),
          let("loss", "add", op("sum", op("mul", "s1", "s1")), op("sum", op("tanh", "sl")))],
         outputs="all", wrt=["a", "b"])


def slicing(dt):
    s = sfx(dt)
    x = lambda: seq([4, 5, 6], dt, 0.0, 0.5)
    idx = {
        "range": ["1:3"], "step": ["::2"], "start_step": ["1::2", ":", "::3"], "neg_start": ["-2:", "-4:-1"],
        "stop_beyond": ["1:10", "3:100:2"], "int_and_slice": [1, "1:4", "2:"],
        "neg_int": [-1, -2], "ellipsis_last": ["...", -1], "ellipsis_middle": [0, "...", "1:5:3"],
        "newaxis": [None, "1:3", None], "scalar_element": [2, 3, 4], "empty": ["3:1"],
        "all_steps": ["::3", "1::2", "::4"],
    }
    prog = [let(n, "slice", "x", index=i) for n, i in idx.items()]
    case(f"slice_forward_{s}", {"x": x()}, prog, outputs="all")
    case(f"slice_backward_steps_{s}", {"x": rnd([4, 5, 6], dt)},
         [let("v", "slice", "x", index=["1::2", ":4:3", "-5::2"])], wrt=["x"], grad_output=gout([2, 2, 3], dt))
    case(f"slice_backward_overlapping_{s}", {"x": rnd([5, 4], dt)},
         [let("a", "slice", "x", index=["1:4"]), let("b", "slice", "x", index=["::2", 1]),
          let("loss", "add", op("sum", op("mul", "a", "a")), op("sum", op("exp", "b")))], outputs="all", wrt=["x"])
    case(f"slice_of_slice_{s}", {"x": seq([6, 8], dt)},
         [let("a", "slice", "x", index=["1:", "::2"]), let("b", "slice", "a", index=["::2", "1:3"])],
         outputs="all", wrt=["x"], grad_output=gout([3, 2], dt), loss="b")


def masks(dt):
    s = sfx(dt)
    case(f"mask_select_gt_{s}", {"x": rnd([3, 4], dt, avoid_zero=True)},
         [let("m", "mask", "x", op("gt", "x", 0.25)), let("loss", "sum", op("mul", "m", "m"))],
         outputs="all", wrt=["x"])
    case(f"mask_rows_{s}", {"x": rnd([4, 3], dt), "r": data([True, False, True, True], [4], "bool")},
         [let("m", "mask", "x", "r"), let("loss", "sum", op("exp", "m"))], outputs="all", wrt=["x"])
    case(f"mask_none_selected_{s}", {"x": rnd([2, 3], dt)}, [let("m", "mask", "x", op("gt", "x", 10))])
    case(f"mask_3d_leading_{s}", {"x": rnd([2, 3, 2], dt), "k": data([True, False, False, True, True, False],
                                                                      [2, 3], "bool")},
         [let("m", "mask", "x", "k")], outputs="all")
    case(f"masked_select_broadcast_{s}", {"x": rnd([3, 4], dt), "k": data([True, False, True, False], [4], "bool")},
         [let("m", "masked_select", "x", "k"), let("loss", "sum", op("mul", "m", op("add", "m", 1)))],
         outputs="all", wrt=["x"])


def reductions(dt):
    s = sfx(dt)
    x = lambda: rnd([3, 4, 5], dt)
    prog = [let("all", "sum", "x"), let("d0", "sum", "x", dim=0), let("d1k", "sum", "x", dim=1, keepdim=True),
            let("dneg", "sum", "x", dim=-1), let("d02", "sum", "x", dim=[0, 2]),
            let("d12k", "sum", "x", dim=[2, 1], keepdim=True),
            let("loss", "add", op("sum", op("mul", "d0", "d0")), op("sum", op("mul", "d12k", "d1k")))]
    case(f"sum_{s}", {"x": x()}, prog, outputs="all", wrt=["x"])
    prog = [let("all", "mean", "x"), let("d1", "mean", "x", dim=1), let("d2k", "mean", "x", dim=-1, keepdim=True),
            let("d01", "mean", "x", dim=[0, 1]),
            let("loss", "add", op("sum", op("mul", "d1", "d1")), op("sum", op("exp", "d2k")))]
    case(f"mean_{s}", {"x": x()}, prog, outputs="all", wrt=["x"])
    case(f"prod_{s}", {"x": rnd([3, 4], dt, 0.5, 1.5)},
         [let("all", "prod", "x"), let("d0", "prod", "x", dim=0), let("d1k", "prod", "x", dim=1, keepdim=True),
          let("loss", "add", op("add", "all", op("sum", op("mul", "d0", "d0"))), op("sum", "d1k"))],
         outputs="all", wrt=["x"])
    case(f"prod_with_zeros_{s}", {"x": data([1.5, 0.0, 2.0, -1.0, 0.0, 0.0, 3.0, 0.5, -0.5], [3, 3], dt)},
         [let("d1", "prod", "x", dim=1)], wrt=["x"], grad_output=gout([3], dt))
    prog = [let("mx", "max", "x"), let("mn", "min", "x"), let("mx1", "max", "x", dim=1),
            let("mn0k", "min", "x", dim=0, keepdim=True), let("mxneg", "max", "x", dim=-1, keepdim=True),
            let("loss", "add", op("add", "mx", op("mul", "mn", 2)),
                op("add", op("sum", op("mul", "mx1.values", "mx1.values")), op("sum", op("exp", "mn0k.values")))),
            ]
    case(f"max_min_{s}", {"x": distinct([3, 4, 5], dt)}, prog, outputs="all", wrt=["x"])
    case(f"argmax_argmin_{s}", {"x": distinct([3, 4, 5], dt)},
         [let("amx", "argmax", "x"), let("amn", "argmin", "x"), let("amx1", "argmax", "x", dim=1),
          let("amn2k", "argmin", "x", dim=2, keepdim=True), let("amxneg", "argmax", "x", dim=-3, keepdim=True)],
         outputs="all")
    ties = data([1.0, 5.0, 5.0, -2.0, 7.0, 0.0, 7.0, 3.0, -1.0, -1.0, -1.0, -1.0], [3, 4], dt)
    case(f"max_argmax_ties_forward_{s}", {"x": ties},
         [let("m1", "max", "x", dim=1), let("n0", "min", "x", dim=0), let("a1", "argmax", "x", dim=1),
          let("b1", "argmin", "x", dim=1), let("aall", "argmax", "x"), let("ball", "argmin", "x")], outputs="all")
    case(f"max_all_ties_backward_{s}", {"x": dict(ties)},
         [let("m", "max", "x"), let("n", "min", "x"), let("loss", "add", op("mul", "m", 3), "n")],
         outputs="all", wrt=["x"])
    case(f"max_dim_ties_backward_{s}", {"x": dict(ties)},
         [let("m1", "max", "x", dim=1), let("loss", "sum", op("mul", "m1.values", op("add", "m1.values", 1)))],
         outputs="all", wrt=["x"])
    case(f"reductions_nan_{s}", {"z": data([1.0, "NaN", 2.0, 3.0, -1.0, 0.5], [2, 3], dt)},
         [let("s", "sum", "z", dim=1), let("m", "max", "z", dim=1), let("mall", "max", "z"),
          let("n", "min", "z", dim=1), let("mean", "mean", "z", dim=1)], outputs="all")
    case(f"reduce_zero_dim_{s}", {"x": data([2.5], [], dt)},
         [let("s", "sum", "x"), let("m", "max", "x"), let("am", "argmax", "x"), let("mn", "mean", "x"),
          let("loss", "add", "s", op("mul", "m", "mn"))], outputs="all", wrt=["x"])
    case(f"softmax_{s}", {"x": rnd([3, 5], dt, -4, 4)},
         [let("s1", "softmax", "x", dim=1), let("s0", "softmax", "x", dim=0), let("sneg", "softmax", "x", dim=-1),
          let("ls", "log_softmax", "x", dim=1),
          let("loss", "add", op("sum", op("mul", "s1", "s0")), op("sum", op("mul", "ls", "s0")))],
         outputs="all", wrt=["x"])
    case(f"softmax_large_values_{s}", {"x": data([100.0, 101.0, 102.0, -1000.0, 0.0, 1000.0], [2, 3], dt)},
         [let("s", "softmax", "x", dim=1)], wrt=["x"], grad_output=gout([2, 3], dt))
    case(f"mlp_loss_{s}", {"X": rnd([5, 3], dt), "W1": rnd([3, 4], dt, -1, 1), "b1": rnd([4], dt, -0.5, 0.5),
                           "W2": rnd([4, 2], dt, -1, 1), "y": rnd([5, 2], dt), "unused": rnd([2], dt)},
         [let("h", "relu", op("add", op("matmul", "X", "W1"), "b1")),
          let("p", "matmul", "h", "W2"), let("loss", "mean", op("pow", op("sub", "p", "y"), 2))],
         outputs="all", wrt=["W1", "b1", "W2", "unused"])


def edge_cases(dt):
    s = sfx(dt)
    # more elements than one tile of the fused CPU kernels (2048), read through strided views
    case(f"large_transposed_chain_{s}", {"a": distinct([40, 60], dt, 2.0 ** -10), "w": rnd([40], dt), "b": rnd([60, 3], dt)},
         [let("t", "transpose", "a"), let("e", "mul", op("tanh", "t"), "w"), let("s0", "sum", "e", dim=0),
          let("s1", "sum", "e", dim=1, keepdim=True), let("mx", "max", "t", dim=0), let("all", "sum", "e"),
          let("mm", "matmul", op("transpose", "b"), "e"),
          let("loss", "add", op("sum", op("mul", "s0", "s0")), op("add", op("sum", "mm"), op("sum", "mx.values")))],
         outputs=["s0", "s1", "mx", "all", "mm", "loss"], wrt=["a", "w", "b"])
    case(f"large_strided_slice_{s}", {"a": rnd([64, 70], dt)},
         [let("v", "slice", "a", index=["1::2", "::3"]), let("r", "sum", op("exp", "v"), dim=1),
          let("loss", "sum", op("mul", "r", "r"))], outputs=["r", "loss"], wrt=["a"])
    case(f"empty_tensors_{s}", {"x": data([], [0, 3], dt), "v": rnd([3], dt), "m": rnd([3, 2], dt)},
         [let("s0", "sum", "x", dim=0), let("sall", "sum", "x"), let("p", "prod", "x"), let("mean", "mean", "x"),
          let("r", "reshape", "x", shape=[3, 0]), let("mul", "mul", "x", "v"), let("mm", "matmul", "x", "m"),
          let("cat", "cat", "x", op("unsqueeze", "v", dim=0)), let("sl", "slice", "v", index=["2:1"])],
         outputs="all")
    case(f"division_by_zero_{s}", {"x": data([1.0, -1.0, 0.0, 2.5], [4], dt), "z": data([0.0, 0.0, 0.0, -0.0], [4], dt)},
         [let("q", "div", "x", "z"), let("lz", "log", "z"), let("sq", "sqrt", op("neg", "x"))], outputs="all")
    case(f"softmax_with_neg_infinity_{s}", {"x": data(["-Infinity", 0.0, 1.0, "-Infinity", 2.0, 2.0], [2, 3], dt)},
         [let("s", "softmax", "x", dim=1), let("m", "max", "x", dim=1), let("am", "argmin", "x", dim=1)],
         outputs="all")
    case(f"argmax_nan_{s}", {"x": data([1.0, "NaN", 3.0, 2.0, 0.5, -1.0], [2, 3], dt)},
         [let("amx", "argmax", "x", dim=1), let("amn", "argmin", "x", dim=1), let("aall", "argmax", "x"),
          let("n", "min", "x", dim=1)], outputs="all")
    case(f"broadcast_to_keep_size_{s}", {"x": rnd([3, 1], dt)},
         [let("b", "broadcast_to", "x", shape=[2, -1, 4])], wrt=["x"], grad_output=gout([2, 3, 4], dt))
    case(f"chains_sharing_subexpressions_{s}", {"x": rnd([4, 5], dt, 0.25, 2)},
         [let("m", "mul", "x", "x"), let("c", "sum", "m", dim=1, keepdim=True),
          let("n", "div", op("add", "m", 1), "c"), let("k", "sub", op("exp", op("neg", "m")), op("mean", "n")),
          let("loss", "sum", op("mul", "k", "n"))], outputs="all", wrt=["x"])


def layouts(dt):
    s = sfx(dt)
    case(f"matmul_strided_batch_{s}", {"a": rnd([4, 3, 4], dt), "b": rnd([2, 4, 2], dt)},
         [let("c", "matmul", op("slice", "a", index=["::2"]), "b")], wrt=["a", "b"], grad_output=gout([2, 3, 2], dt))
    case(f"matmul_transposed_within_batch_{s}", {"a": rnd([2, 4, 3], dt), "b": rnd([2, 5, 4], dt)},
         [let("c", "matmul", op("transpose", "a"), op("transpose", "b", dim0=1, dim1=2))], wrt=["a", "b"],
         grad_output=gout([2, 3, 5], dt))
    case(f"reshape_of_expanded_{s}", {"a": rnd([3, 1], dt)},
         [let("r", "reshape", op("broadcast_to", "a", shape=[3, 4]), shape=[2, 6])], wrt=["a"],
         grad_output=gout([2, 6], dt))
    case(f"mean_of_expanded_{s}", {"a": rnd([1, 4], dt)},
         [let("m0", "mean", op("broadcast_to", "a", shape=[3, 4]), dim=0),
          let("m1", "mean", op("broadcast_to", "a", shape=[3, 4]), dim=1, keepdim=True),
          let("loss", "add", op("sum", op("mul", "m0", "m0")), op("sum", "m1"))], outputs="all", wrt=["a"])
    case(f"cat_stack_of_views_{s}", {"a": rnd([2, 3, 4], dt), "b": rnd([4, 3, 2], dt)},
         [let("c", "cat", op("slice", "a", index=[":", ":", "1:3"]), op("permute", "b", dims=[2, 1, 0]), dim=2),
          let("st", "stack", op("transpose", op("slice", "a", index=[0])), op("slice", "b", index=[":", ":", 1]), dim=1),
          let("loss", "add", op("sum", op("mul", "c", "c")), op("sum", op("exp", "st")))], outputs="all",
         wrt=["a", "b"])
    case(f"where_views_{s}", {"a": rnd([3, 4], dt, avoid_zero=True), "b": rnd([4, 3], dt), "k": rnd([4], dt)},
         [let("w", "where", op("gt", op("transpose", "b"), 0), "a", op("broadcast_to", "k", shape=[3, 4]))],
         wrt=["a", "b", "k"], grad_output=gout([3, 4], dt))
    case(f"masked_select_transposed_mask_{s}", {"a": rnd([3, 4], dt), "b": rnd([4, 3], dt, avoid_zero=True)},
         [let("m", "masked_select", "a", op("lt", op("transpose", "b"), 0)),
          let("loss", "sum", op("mul", "m", op("add", "m", 2)))], outputs="all", wrt=["a"])
    case(f"sum_over_noncontiguous_keepdim_{s}", {"a": rnd([3, 4, 5], dt)},
         [let("p", "permute", "a", dims=[1, 2, 0]), let("k", "sum", "p", dim=[0, 2], keepdim=True),
          let("n", "div", "p", "k"), let("loss", "sum", op("mul", "n", "p"))], outputs="all", wrt=["a"])


def shapes_and_batches(dt):
    """General reshapes, results that become 0-d, and chains of batched products (also run distributed)."""
    s = sfx(dt)
    case(f"reshape_general_{s}", {"a": rnd([6, 4], dt), "b": rnd([8, 3, 2], dt)},
         [let("r1", "reshape", "a", shape=[4, 6]), let("r2", "reshape", "b", shape=[2, 24]),
          let("flat", "reshape", "b", shape=[-1]),
          let("r3", "reshape", op("transpose", "b", dim0=0, dim1=2), shape=[6, 8]),
          let("loss", "add", op("add", op("sum", op("mul", "r1", "r1")), op("sum", op("tanh", "r2"))),
                                op("add", op("sum", op("mul", "r3", "r3")), op("sum", op("mul", "flat", 0.5))))],
         outputs="all", wrt=["a", "b"])
    case(f"zero_dim_results_{s}", {"x": rnd([3, 4], dt), "v": rnd([5], dt), "one": rnd([1, 1, 1], dt),
                                   "p": rnd([1], dt), "q": rnd([1], dt)},
         [let("e", "slice", "x", index=[0, 0]), let("e1", "slice", "v", index=[1]), let("sq", "squeeze", "one"),
          let("r0", "reshape", "one", shape=[]), let("dot1", "matmul", "p", "q"), let("mn", "min", "p", dim=-1),
          let("loss", "add", op("add", op("mul", "e", "e1"), op("mul", "sq", "r0")), op("add", "dot1", "mn.values"))],
         outputs="all", wrt=["x", "v", "one", "p", "q"])
    case(f"scalar_leaf_times_size_one_{s}", {"w": data([1.5], [], dt), "x": rnd([1, 1], dt)},
         [let("y", "mul", "x", "w"), let("loss", "sum", "y")], wrt=["w", "x"])
    case(f"matmul_batched_chain_{s}", {"a": rnd([2, 5, 6], dt), "b": rnd([2, 6, 6], dt), "c": rnd([6, 3], dt)},
         [let("ab", "matmul", "a", "b"), let("abc", "matmul", op("matmul", "ab", "b"), "c"),
          let("loss", "sum", op("tanh", "abc"))], outputs="all", wrt=["a", "b", "c"])


GROUPS = (elementwise, broadcasting, comparisons, where_clamp, matmuls, noncontiguous, movement, slicing, masks,
          reductions, edge_cases, layouts, shapes_and_batches)

"""minigan against PyTorch's own OpInfo database (torch.testing._internal's op_db): for every
op minigan has, the float64 ``sample_inputs`` (and ``reference_inputs`` where cheap) give the
same values, first- and second-order gradients (torch.autograd vs minigan.grad), and the
``error_inputs`` PyTorch raises on make minigan raise too.

The deliberate differences are listed in DIFFERENCES, each with its reason; a sample that
meets one is not compared, and every op must still compare at least one sample.
"""
from __future__ import annotations

import numpy as np
import pytest

import minigan as mg
from minigan import functional as MF

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # op_db's module imports it
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402

MAX_SAMPLES = 16  # per op and kind (sample or reference): keeps the file under a minute
RTOL, ATOL = 1e-7, 1e-10
DTYPES = {torch.float64: mg.float64, torch.float32: mg.float32, torch.float16: mg.float16,
          torch.int64: mg.int64, torch.int32: mg.int32, torch.int16: mg.int16, torch.int8: mg.int8,
          torch.uint8: mg.uint8, torch.bool: mg.bool}


def _method(name):
    return lambda x, *a, **k: getattr(x, name)(*a, **k)


# OpInfo name -> the minigan callable with the same signature; every row of minigan's
# elementwise table is an OpInfo name too
OPS = {**mg.ops.ELEMENTWISE,
    "add": mg.add, "sub": mg.sub, "mul": mg.mul, "div.no_rounding_mode": mg.div,
    "div.floor_rounding": mg.div, "div.trunc_rounding": mg.div, "true_divide": mg.div,
    "floor_divide": mg.floor_divide, "remainder": mg.remainder, "rsub": mg.rsub, "neg": mg.neg,
    "pow": mg.pow, "exp": mg.exp, "log": mg.log, "log1p": mg.log1p, "sqrt": mg.sqrt, "abs": mg.abs,
    "square": _method("square"), "maximum": mg.maximum, "minimum": mg.minimum, "clamp": mg.clamp,
    "where": lambda x, condition, other: mg.where(condition, x, other),  # OpInfo's argument order
    "matmul": mg.matmul, "sum": mg.sum, "mean": mg.mean,
    "max.binary": mg.max, "max.reduction_no_dim": mg.max, "max.reduction_with_dim": mg.max,
    "min.binary": mg.min, "min.reduction_no_dim": mg.min, "min.reduction_with_dim": mg.min,
    "amax": mg.amax, "amin": mg.amin, "var": mg.var, "var.unbiased": mg.var, "std": mg.std,
    "std.unbiased": mg.std, "norm": mg.norm, "norm.fro": mg.norm, "norm.inf": mg.norm,
    "all": mg.all, "any": mg.any,
    "reshape": mg.reshape, "view": _method("view"), "permute": mg.permute, "transpose": mg.transpose,
    "expand": _method("expand"), "expand_as": _method("expand_as"), "broadcast_to": mg.broadcast_to,
    "squeeze": mg.squeeze, "unsqueeze": mg.unsqueeze, "flatten": mg.flatten, "cat": mg.cat,
    "stack": mg.stack, "t": _method("t"), "T": lambda x: x.T, "mT": lambda x: x.mT,
    "clone": _method("clone"), "__getitem__": _method("__getitem__"),
    "double": _method("double"), "float": _method("float"), "long": _method("long"), "int": _method("int"),
    "bool": _method("bool"), "half": _method("half"),
    "__radd__": _method("__radd__"), "__rsub__": _method("__rsub__"), "__rmul__": _method("__rmul__"),
    "__rdiv__": _method("__rtruediv__"), "__rpow__": _method("__rpow__"), "__rmod__": _method("__rmod__"),
    "__rmatmul__": _method("__rmatmul__"),
    "sigmoid": mg.sigmoid, "tanh": mg.tanh, "nn.functional.relu": MF.relu, "nn.functional.elu": MF.elu,
    "nn.functional.leaky_relu": MF.leaky_relu, "nn.functional.softplus": MF.softplus,
    "nn.functional.logsigmoid": MF.logsigmoid, "nn.functional.linear": MF.linear,
    "nn.functional.binary_cross_entropy": MF.binary_cross_entropy,
    "nn.functional.binary_cross_entropy_with_logits": MF.binary_cross_entropy_with_logits,
    "nn.functional.mse_loss": MF.mse_loss,
}
OPS.update({  # comparisons and the like, which minigan has as operators and methods
    "eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y, "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y, "argmax": _method("argmax"), "argmin": _method("argmin"),
    "isnan": _method("isnan"), "isfinite": _method("isfinite"),
})
if hasattr(MF, "l1_loss"):
    OPS["nn.functional.l1_loss"] = MF.l1_loss


def _is(op, *names):
    return op in names


# Deliberate differences: (op names, predicate(sample) -> bool, reason). A sample that matches
# is not run through minigan.
DIFFERENCES = [
    (("__radd__", "__rsub__", "__rmul__", "__rdiv__", "__rpow__", "__rmod__", "__rmatmul__",
      "eq", "ne", "lt", "le", "gt", "ge"),
     lambda s: not isinstance(s.input, torch.Tensor),
     "a number on the left of an operator: Python reflects it to the tensor's method (minigan has "
     "the comparisons as operators only)"),
    (("maximum", "minimum", "max.binary", "min.binary"), lambda s: not all(
        isinstance(a, torch.Tensor) for a in (s.input, *s.args)),
     "minigan accepts a Python number as one operand of maximum/minimum (mg.maximum(w, 0.0))"),
    (("double", "float", "half", "long", "int", "bool", "clone"), lambda s: "memory_format" in s.kwargs,
     "minigan tensors have one memory layout: memory_format= is not taken"),
    (("nn.functional.elu",), lambda s: bool(torch.isnan(s.input).any()),
     "PyTorch's ELU gradient at NaN depends on the tensor's size (its vectorized kernel gives NaN, "
     "the scalar one passes the gradient); minigan always passes it"),
    (("pow",), lambda s: bool((s.input == 0).any()) and isinstance(s.args[0], torch.Tensor)
     and s.args[0].requires_grad,
     "second derivatives of a ** b at a = 0 (singular there): PyTorch's are NaN, minigan's apply its "
     "first-order convention (a ** b log a taken as 0 at a = 0) again; first order agrees (test_semantics)"),
    (("cat",), lambda s: any(t.shape == (0,) for t in s.input) and len({t.dim() for t in s.input}) > 1,
     "PyTorch's legacy rule that skips 1-D empty tensors in cat; minigan asks for equal ranks"),
    (("norm", "norm.fro", "norm.inf"), lambda s: isinstance(s.kwargs.get("p", s.args[0] if s.args else None), str)
     and s.kwargs.get("p", s.args[0] if s.args else None) == "nuc",
     "p='nuc' (the nuclear norm) needs an SVD, which minigan does not have"),
    (("norm",), lambda s: isinstance(s.kwargs.get("dim", s.args[1] if len(s.args) > 1 else None), (tuple, list))
     and len(s.kwargs.get("dim", s.args[1] if len(s.args) > 1 else ())) == 2
     and s.kwargs.get("p", s.args[0] if s.args else "fro") not in ("fro", 2, 2.0),
     "a number p over two dims is a matrix norm in torch.norm; minigan's norm is a vector norm"),
]


def _difference(name, sample):
    for names, pred, reason in DIFFERENCES:
        if name in names:
            try:
                if pred(sample):
                    return reason
            except (IndexError, TypeError, KeyError, AttributeError):
                continue
    return None


# ---- conversion -----------------------------------------------------------------------------
def _to_mg(obj, leaves):
    """A torch sample argument as minigan's: tensors become minigan tensors with the same values
    and requires_grad (recorded in ``leaves`` as (torch tensor, minigan tensor) pairs)."""
    if isinstance(obj, torch.Tensor):
        arr = obj.detach().numpy().copy()
        t = mg.tensor(arr, dtype=DTYPES[obj.dtype], requires_grad=obj.requires_grad)
        if obj.requires_grad:
            leaves.append((obj, t))
        return t
    if isinstance(obj, torch.dtype):
        return DTYPES[obj]
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, tuple):
        return tuple(_to_mg(o, leaves) for o in obj)
    if isinstance(obj, list):
        return [_to_mg(o, leaves) for o in obj]
    if isinstance(obj, dict):  # memory_format=preserve_format is the default: minigan has one layout
        return {k: _to_mg(v, leaves) for k, v in obj.items() if v is not torch.preserve_format}
    return obj


def _outputs(out):
    """The tensors an op returned (a tuple for max/min with a dim)."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _np(t, lib):
    return t.detach().numpy(force=True) if lib == "torch" else t.numpy()  # force: ZeroTensors


def _close(got, want, what):
    assert got.shape == want.shape, f"{what}: shape {got.shape}, PyTorch {want.shape}"
    if want.dtype == bool or want.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=RTOL, atol=ATOL,
                                   err_msg=what)


def _grads(lib, outs, leaves, weights):
    """d<w, outs>/d leaves (create_graph), then d(sum of those times v)/d leaves."""
    grad = torch.autograd.grad if lib == "torch" else mg.grad
    total = None
    for o, w in zip(outs, weights):
        term = (o * (torch.tensor(w) if lib == "torch" else mg.tensor(w))).sum()
        total = term if total is None else total + term
    g1 = grad(total, leaves, create_graph=True, allow_unused=True)
    live = [(g * (torch.tensor(v) if lib == "torch" else mg.tensor(v))).sum()
            for g, v in zip(g1, _second_weights(leaves)) if g is not None and g.requires_grad]
    g2 = [None] * len(leaves)
    if live:
        s = live[0]
        for term in live[1:]:
            s = s + term
        g2 = grad(s, leaves, allow_unused=True)
    return [None if g is None else _np(g, lib) for g in g1], [None if g is None else _np(g, lib) for g in g2]


def _second_weights(leaves):
    rng = np.random.default_rng(7)
    return [rng.standard_normal(tuple(t.shape)) for t in leaves]


def _compare_sample(name, op, mg_fn, sample):
    """Run one sample through both libraries and compare; returns a skip reason or None."""
    reason = _difference(name, sample)
    if reason:
        return reason
    try:
        t_out = op(sample.input, *sample.args, **sample.kwargs)
    except Exception as exc:  # PyTorch refuses the sample: minigan must refuse too
        leaves = []
        args = (_to_mg(sample.input, leaves), *_to_mg(sample.args, leaves))
        assert not _accepts(mg_fn, args, _to_mg(sample.kwargs, leaves)), f"{name}: PyTorch raises {exc!r}"
        return "PyTorch raises"
    leaves = []
    m_in = _to_mg(sample.input, leaves)
    m_args, m_kwargs = _to_mg(sample.args, leaves), _to_mg(sample.kwargs, leaves)
    with np.errstate(all="ignore"):
        m_out = mg_fn(m_in, *m_args, **m_kwargs)
    t_outs, m_outs = _outputs(t_out), _outputs(m_out)
    what = f"{name}{sample.summary() if hasattr(sample, 'summary') else ''}"
    assert len(m_outs) == len(t_outs), f"{what}: {len(m_outs)} outputs, PyTorch {len(t_outs)}"
    for k, (a, b) in enumerate(zip(m_outs, t_outs)):
        _close(_np(a, "mg"), _np(b, "torch"), f"{what}: output {k}")
        assert DTYPES[b.dtype] == a.dtype, f"{what}: output {k} dtype {a.dtype}, PyTorch {b.dtype}"
    diff = [i for i, o in enumerate(t_outs) if o.requires_grad and o.dtype.is_floating_point]
    if not leaves or not diff:
        return None
    rng = np.random.default_rng(3)
    weights = [rng.standard_normal(tuple(t_outs[i].shape)) for i in diff]
    try:
        tg1, tg2 = _grads("torch", [t_outs[i] for i in diff], [t for t, _ in leaves], weights)
    except RuntimeError as exc:  # no derivative in PyTorch (e.g. floor_divide): values only
        if "not implemented" in str(exc) or "does not require grad" in str(exc):
            return None
        raise
    with np.errstate(all="ignore"):
        mg1, mg2 = _grads("mg", [m_outs[i] for i in diff], [m for _, m in leaves], weights)
    for j, (t, _) in enumerate(leaves):
        zeros = np.zeros(tuple(t.shape))
        _close(zeros if mg1[j] is None else mg1[j], zeros if tg1[j] is None else tg1[j],
               f"{what}: gradient of input {j}")
        _close(zeros if mg2[j] is None else mg2[j], zeros if tg2[j] is None else tg2[j],
               f"{what}: second-order gradient of input {j}")
    return None


def _accepts(fn, args, kwargs) -> bool:
    try:
        with np.errstate(all="ignore"):
            fn(*args, **kwargs)
    except Exception:
        return False
    return True


OPINFOS = {(o.name + ("." + o.variant_test_name if o.variant_test_name else "")): o for o in op_db}
# (not clamp: one of its reference samples gets no gradient for a bound from PyTorch at all)
CHEAP_REFERENCE = {"sum", "mean", "amax", "amin", "var", "std", "max.reduction_with_dim",
                   "nn.functional.softplus", "nn.functional.elu", "nn.functional.leaky_relu", "norm",
                   "nn.functional.binary_cross_entropy", "add", "sub", "mul", "div.no_rounding_mode", "pow",
                   "maximum", "minimum", "remainder", "exp", "log", "sqrt", "abs", "sigmoid", "tanh",
                   "nn.functional.relu", "matmul"}


def test_every_mapped_op_is_in_op_db():
    missing = sorted(set(OPS) - set(OPINFOS))
    assert not missing, f"no OpInfo named {missing}"


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_pytorch_on_its_opinfo_samples(name):
    op = OPINFOS[name]
    kinds = [("sample", op.sample_inputs("cpu", torch.float64, requires_grad=op.supports_autograd))]
    if name in CHEAP_REFERENCE:
        kinds.append(("reference", op.reference_inputs("cpu", torch.float64, requires_grad=op.supports_autograd)))
    compared, skipped = 0, {}
    for _kind, samples in kinds:
        for i, sample in enumerate(samples):
            if i >= MAX_SAMPLES:
                break
            reason = _compare_sample(name, op, OPS[name], sample)
            if reason is None:
                compared += 1
            else:
                skipped[reason] = skipped.get(reason, 0) + 1
    assert compared, f"{name}: no sample compared (skipped: {skipped})"


@pytest.mark.parametrize("name", sorted(n for n in OPS if OPINFOS[n].error_inputs_func is not None))
def test_op_raises_where_pytorch_raises_on_its_error_inputs(name):
    op = OPINFOS[name]
    n = 0
    for err in op.error_inputs("cpu"):
        s = err.sample_input
        if _difference(name, s):
            continue
        leaves = []
        try:
            args = (_to_mg(s.input, leaves), *_to_mg(s.args, leaves))
            kwargs = _to_mg(s.kwargs, leaves)
        except KeyError:  # a dtype minigan has not (complex...): nothing to compare
            continue
        except ValueError:  # an input minigan cannot even make (more than 64 dims): refused
            n += 1
            continue
        if _accepts(OPS[name], args, kwargs):
            pytest.fail(f"{name}: minigan accepted an input PyTorch rejects with "
                        f"{err.error_type.__name__}: {err.error_regex} ({s.summary() if hasattr(s, 'summary') else s})")
        n += 1
    assert n >= 0

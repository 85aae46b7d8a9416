"""Elementwise ops as data: one row per op, as HIPS autograd's defvjp or PyTorch's
derivatives.yaml write them.

    name: Rule(forward, (gradient of input 0, gradient of input 1, ...), ...)

``forward`` is a NumPy ufunc (CuPy arrays take it through ``__array_ufunc__``). Each
gradient is a Tensor expression of the incoming gradient ``g``, the output ``out`` and the
inputs, at the broadcast shape; being Tensor ops, it is itself differentiable (double
backward). ``Elementwise.backward`` does, once for every row, what each rule would
otherwise repeat: skip inputs that do not require grad and sum broadcast dimensions back
(``unbroadcast``). Adding an op here gives ``mg.<name>``, ``Tensor.<name>`` and a
gradient test case (tests/op_table.py reads ``domain`` and ``kinks``).

Ops with state, fused kernels or non-elementwise shapes (pow, where, clamp, the sigmoid
family, BCE, matmul, reductions, indexing) are classes in their own modules.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..tensor import Tensor, _apply
from ._util import _DEFAULT_FLOAT, Op, broadcast_shapes, cast, need_tensor, promote, unbroadcast


@dataclass(frozen=True)
class Rule:
    """An elementwise op: ``forward(*arrays)`` and one gradient rule per input."""

    forward: Callable
    grads: tuple
    doc: str
    domain: tuple = (-2.0, 2.0)  # where the gradient tests draw inputs
    kinks: tuple = ()            # points the gradient tests keep away from (no derivative)
    floating: bool = False       # integer and bool inputs become the default float (as PyTorch)


def _sign(a: Tensor) -> Tensor:
    """sign(a) as a constant, with sign(NaN) = 0 (PyTorch's sgn)."""
    x = a.array
    return Tensor._wrap((x > 0).astype(x.dtype) - (x < 0))


def _share(a: Tensor, b: Tensor, loses) -> Tensor:
    """The part of maximum/minimum's gradient that goes to ``a``: all where ``a`` wins,
    half at a tie, and all where either is NaN (each side is masked only where it
    strictly loses, as PyTorch)."""
    x, y = a.array, b.array
    return Tensor._wrap((1.0 - loses(x, y) - 0.5 * (x == y)).astype(x.dtype, copy=False))


UNARY: dict[str, Rule] = {
    "neg": Rule(np.negative, (lambda g, out, a: -g,), "-input."),
    "exp": Rule(np.exp, (lambda g, out, a: g * out,), "e ** input.", floating=True),
    "log": Rule(np.log, (lambda g, out, a: g / a,), "Natural logarithm.", (0.2, 3.0), floating=True),
    "log1p": Rule(np.log1p, (lambda g, out, a: g / (a + 1.0),), "log(1 + input), accurate for small input.",
                  (-0.7, 3.0), floating=True),
    "sqrt": Rule(np.sqrt, (lambda g, out, a: g / (out * 2.0),), "Square root.", (0.2, 3.0), floating=True),
    "abs": Rule(np.abs, (lambda g, out, a: g * _sign(a),), "|input| (gradient 0 at 0 and at NaN, as PyTorch).",
                kinks=(0.0,)),
    "sin": Rule(np.sin, (lambda g, out, a: g * a.cos(),), "Sine.", floating=True),
    "cos": Rule(np.cos, (lambda g, out, a: -(g * a.sin()),), "Cosine.", floating=True),
}

BINARY: dict[str, Rule] = {
    "add": Rule(np.add, (lambda g, out, a, b: g, lambda g, out, a, b: g), "input + other."),
    "sub": Rule(np.subtract, (lambda g, out, a, b: g, lambda g, out, a, b: -g), "input - other."),
    "mul": Rule(np.multiply, (lambda g, out, a, b: g * b, lambda g, out, a, b: g * a), "input * other."),
    # d(a/b)/db = -a/b^2 = -out/b
    "div": Rule(np.true_divide, (lambda g, out, a, b: g / b, lambda g, out, a, b: -(g * out) / b),
                "input / other."),
    "maximum": Rule(np.maximum, (lambda g, out, a, b: g * _share(a, b, np.less),
                                 lambda g, out, a, b: g * _share(b, a, np.less)),
                    "Elementwise maximum (ties share the gradient; NaN propagates)."),
    "minimum": Rule(np.minimum, (lambda g, out, a, b: g * _share(a, b, np.greater),
                                 lambda g, out, a, b: g * _share(b, a, np.greater)),
                    "Elementwise minimum (ties share the gradient; NaN propagates)."),
}


class Elementwise(Op):
    """The op of one row of the table (``rule``)."""

    rule: Rule

    @classmethod
    def forward(cls, ctx, *arrays):
        try:
            return cls.rule.forward(*arrays)
        except ValueError:
            broadcast_shapes(cls.name, *(a.shape for a in arrays))  # raises naming every shape
            raise

    @classmethod
    def backward(cls, out, g):
        grads = cls.rule.grads
        if len(grads) == 1:
            (a,) = out._parents
            return grads[0](g, out, a) if a._rg else None  # the output's shape: no unbroadcast
        a, b = out._parents
        return (unbroadcast(grads[0](g, out, a, b), a.array.shape) if a._rg else None,
                unbroadcast(grads[1](g, out, a, b), b.array.shape) if b._rg else None)


OPS: dict[str, type[Elementwise]] = {
    name: type(name.capitalize(), (Elementwise,), {"name": name, "rule": rule})
    for name, rule in {**UNARY, **BINARY}.items()
}


def _unary_function(name: str, rule: Rule) -> Callable:
    op = OPS[name]

    def fn(input: Tensor) -> Tensor:
        need_tensor(name, input)
        if rule.floating and input.array.dtype.kind not in "fc":
            input = cast(input, _DEFAULT_FLOAT)
        return _apply(op, None, input)

    return fn


def _binary_function(name: str, rule: Rule) -> Callable:
    op = OPS[name]

    def fn(input, other) -> Tensor:
        a, b = promote(name, input, other, numbers_ok=False)
        return _apply(op, None, a, b)

    return fn


# rows whose public function arith.py writes by hand (alpha=, rounding_mode=, bool checks)
WRAPPED = frozenset({"neg", "add", "sub", "mul", "div"})

# the public functions of the other rows: mg.<name> and Tensor.<name>
FUNCTIONS: dict[str, Callable] = {}
for _name, _rule in UNARY.items():
    if _name not in WRAPPED:
        FUNCTIONS[_name] = _unary_function(_name, _rule)
for _name, _rule in BINARY.items():
    if _name not in WRAPPED:
        FUNCTIONS[_name] = _binary_function(_name, _rule)
for _name, _fn in FUNCTIONS.items():
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = (UNARY.get(_name) or BINARY[_name]).doc

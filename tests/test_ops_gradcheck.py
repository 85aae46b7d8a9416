"""Every op passes gradcheck and gradgradcheck (float64 central differences) on shapes
drawn by hypothesis, broadcasting included, at points kept off the op's kinks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_draws import mg_inputs
from op_table import CASE_IDS, CASES, MG

import minigan as mg


def _check(case, data, second_order: bool):
    arrays, kw = case.draw(data)
    inputs = mg_inputs(arrays)

    def fn(*ts):
        return case.fn(MG, *ts, **kw)

    out = fn(*inputs)
    assert out.dtype == np.float64, f"{case.name}: float64 inputs gave a {out.dtype} output"
    assert mg.gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-5), f"{case.name}: gradcheck"
    if second_order:
        assert mg.gradgradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4), (
            f"{case.name}: gradgradcheck")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_op_passes_gradcheck_and_gradgradcheck(case, data):
    _check(case, data, second_order=True)

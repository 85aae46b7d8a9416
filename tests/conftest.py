"""Shared test setup: float64 gradient checks, hypothesis profile, and the `cuda` marker."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "minigan", deadline=None, max_examples=int(os.environ.get("MINIGAN_HYPOTHESIS_EXAMPLES", "25")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.load_profile("minigan")


def _real_gpu() -> bool:
    """Whether the real CuPy finds a usable CUDA device (probed once, before any stand-in)."""
    from minigan.backend import cuda

    return cuda.is_available()


def _use_standin() -> bool:
    """Tests marked `cuda` run on the real GPU where there is one; elsewhere on the CuPy
    stand-in of tests/cupy_standin, unless MINIGAN_CUPY=real asks for the real thing only."""
    return os.environ.get("MINIGAN_CUPY", "") != "real" and not _real_gpu()


def pytest_collection_modifyitems(config, items):
    """Tests marked `cuda` need CUDA: a real device, or the stand-in (see _use_standin).
    With MINIGAN_CUPY=real and no device they are skipped, once, with the reason."""
    cuda_items = [it for it in items if "cuda" in it.keywords]
    if not cuda_items or _real_gpu() or _use_standin():
        return
    skip = pytest.mark.skip(reason="no CUDA device (MINIGAN_CUPY=real: the CuPy stand-in is off)")
    for it in cuda_items:
        it.add_marker(skip)


@pytest.fixture(autouse=True)
def _cupy_for_cuda_tests(request):
    """Tests marked `cuda` see the CuPy stand-in as `cupy` where no real GPU is usable."""
    if "cuda" not in request.keywords or not _use_standin():
        yield
        return
    from cupy_standin import installed

    with installed():
        yield


@pytest.fixture
def cuda_standin():
    """The stand-in's module (`cupy`) for tests of the stand-in itself (real GPU or not)."""
    from cupy_standin import installed

    with installed() as cupy:
        yield cupy



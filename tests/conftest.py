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


def pytest_collection_modifyitems(config, items):
    """Tests marked `cuda` need a CUDA device: skip them, once, with the reason, where none is."""
    cuda_items = [it for it in items if "cuda" in it.keywords]
    if not cuda_items:
        return
    from minigan.backend import cuda

    if cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for it in cuda_items:
        it.add_marker(skip)

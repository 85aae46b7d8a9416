"""Figures of the GAN game (matplotlib, Agg canvas, PNGs written atomically).

    from minigan import viz
    viz.dashboard(history, "out/dashboard.png")
"""
from __future__ import annotations

from .figures import (
    criterion_figure,
    dashboard,
    decision_surface,
    digits_grid,
    non_convergence_figure,
    records_of,
    samples_over_time,
    save_figure,
    series,
    theory_1d,
    vanishing_gradients_figure,
    wasserstein_figure,
)

__all__ = [
    "criterion_figure", "dashboard", "decision_surface", "digits_grid",
    "non_convergence_figure", "records_of", "samples_over_time", "save_figure",
    "series", "theory_1d", "vanishing_gradients_figure", "wasserstein_figure",
]

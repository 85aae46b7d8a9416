"""Figures of the GAN game (matplotlib, Agg canvas, PNGs and GIFs written atomically).

    from minigan import viz
    viz.dashboard(history, "out/dashboard.png")
    viz.draw_run("out/ring8-seed0")          # every figure of a run folder

Modules: ``figures`` (the dashboard and the theory figures), ``game2d`` (samples, D's
surface and the force on G's samples, the animation), ``figure1`` (Goodfellow et al.
2014's Figure 1), ``graph`` (the computational graph of a GAN step), ``studies``
(Dirac-GAN, the k sweep, forward vs reverse KL, modes over time), ``run`` (a run's figures).
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
    save_gif,
    series,
    theory_1d,
    vanishing_gradients_figure,
    wasserstein_figure,
)
from .run import draw_run

__all__ = [
    "criterion_figure", "dashboard", "decision_surface", "digits_grid", "draw_run",
    "non_convergence_figure", "records_of", "samples_over_time", "save_figure", "save_gif",
    "series", "theory_1d", "vanishing_gradients_figure", "wasserstein_figure",
]

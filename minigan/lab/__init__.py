"""The study lab: data sets, the theory of Goodfellow et al. 2014, the papers' metrics,
Dirac-GAN, and run recipes, shared by the ``minigan`` command and the examples.

Layers: engine <- nn/optim <- gan (losses, regularizers, Trainer) <- lab <- viz/cli/examples.

    from minigan.lab import datasets, metrics, recipes
    trainer, schedulers = recipes.make_trainer(recipes.default_recipe("ring8", seed=0))
"""
from __future__ import annotations

from . import datasets, dirac, metrics, recipes, theory

__all__ = ["datasets", "dirac", "metrics", "recipes", "theory"]

"""The GAN game on minigan: losses, gradient penalties, and Goodfellow's Algorithm 1.

    from minigan import gan
    trainer = gan.Trainer(G, D, opt_g, opt_d, data, z_dim=2)
    history = trainer.train(1000)
"""
from __future__ import annotations

from . import losses, regularizers
from .trainer import History, Trainer, TrainingDiverged

__all__ = ["History", "Trainer", "TrainingDiverged", "losses", "regularizers"]

# datasets, metrics and theory are written separately: the game above works without them.
# Only their own absence is forgiven; an import error inside them still surfaces.
try:
    from . import datasets as datasets
    __all__.append("datasets")
except ModuleNotFoundError as e:
    if e.name != f"{__name__}.datasets":
        raise
try:
    from . import metrics as metrics
    __all__.append("metrics")
except ModuleNotFoundError as e:
    if e.name != f"{__name__}.metrics":
        raise
try:
    from . import theory as theory
    __all__.append("theory")
except ModuleNotFoundError as e:
    if e.name != f"{__name__}.theory":
        raise

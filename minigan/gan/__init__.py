"""The GAN game on minigan: losses, gradient penalties, and Goodfellow's Algorithm 1.

Data sets, metrics, theory and run recipes live one layer up, in ``minigan.lab``.

    from minigan import gan
    trainer = gan.Trainer(G, D, opt_g, opt_d, data, z_dim=2)
    history = trainer.train(1000)
"""
from __future__ import annotations

from . import losses, regularizers
from .trainer import History, Trainer, TrainingDiverged

__all__ = ["History", "Trainer", "TrainingDiverged", "losses", "regularizers"]

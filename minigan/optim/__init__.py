"""minigan.optim: SGD, Adam, RMSprop with PyTorch's update rules, on raw arrays in place."""
from __future__ import annotations

from . import lr_scheduler
from .adam import Adam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "Optimizer", "RMSprop", "lr_scheduler"]

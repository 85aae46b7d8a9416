"""The ``minigan`` command (also ``python -m minigan``): train a GAN, study the game.

    minigan train ring8 [--seed S] [--out DIR] [--iterations N] [--resume | --force] ...
    minigan demo [--out out/demo]           # the ring, default recipe, overwriting DIR
    minigan theory                          # D -> D* and V -> C(G) on 1-D Gaussians
    minigan dirac                           # the Dirac-GAN: simultaneous, alternating, R1
    minigan figures DIR                     # redraw every figure of a run
    minigan info                            # versions, devices, BLAS and threads

This module only parses arguments; the work is done by ``minigan.lab``.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

from .lab import datasets, recipes

__all__ = ["main"]

_EPILOG = """\
A run folder gets recipe.json, checkpoint.npz, metrics.jsonl (one JSON record per iteration),
summary.json, samples.npy (2,500 final samples) and figures. Ctrl-C or SIGTERM saves the
checkpoint and the history and prints the command that resumes; --iterations is a total.
Options left out take the data set's recipe (minigan.lab.recipes): defaults are shown as
"ring8/grid25 value (other data sets: ...)"."""


# ---- validated argument types: argparse reports "argument --flag: <message>" ------------------
def _int_at_least(lo: int, what: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be {what}, got {v}")
        return v

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_non_negative_int = _int_at_least(0, "an integer >= 0")


def _float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"must be finite, got {text}")
    return v


def _positive_float(text: str) -> float:
    v = _float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def _non_negative_float(text: str) -> float:
    v = _float(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return v


def _fraction(text: str) -> float:
    v = _float(text)
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return v


def _default_text(field: str) -> str:
    """The recipes' defaults of ``field``: "1e-3 (digits: 2e-4)"."""
    values = {name: getattr(recipes.default_recipe(name), field) for name in datasets.NAMES}
    main_value = values["ring8"]
    others = {k: v for k, v in values.items() if v != main_value}
    text = f"default {main_value}"
    if others:
        text += " (" + ", ".join(f"{k}: {v}" for k, v in others.items()) + ")"
    return text


# ---- the parser --------------------------------------------------------------------------------
def _add_train_args(p: argparse.ArgumentParser) -> None:
    d = _default_text
    g = p.add_argument_group("the game")
    g.add_argument("--loss", choices=list(recipes.LOSSES), default=None,
                   help=f"the loss pair; wasserstein needs --clip or --gp-lambda ({d('loss')})")
    g.add_argument("--k-d", type=_positive_int, default=None,
                   help=f"D steps per iteration, Algorithm 1's k ({d('k_d')})")
    g.add_argument("--k-g", type=_positive_int, default=None, help=f"G steps per iteration ({d('k_g')})")
    g.add_argument("--iterations", type=_positive_int, default=None,
                   help=f"total iterations; with --resume, continue up to it ({d('iterations')})")
    g.add_argument("--batch-size", type=_positive_int, default=None, help=f"minibatch size m ({d('batch_size')})")
    o = p.add_argument_group("optimization")
    o.add_argument("--optimizer", choices=list(recipes.OPTIMIZERS), default=None, help=d("optimizer"))
    o.add_argument("--lr-d", type=_positive_float, default=None, help=f"D's learning rate ({d('lr_d')})")
    o.add_argument("--lr-g", type=_positive_float, default=None, help=f"G's learning rate ({d('lr_g')})")
    o.add_argument("--lr-schedule", choices=list(recipes.SCHEDULES), default=None,
                   help=f"linear: constant until --decay-start, then down to --lr-end x lr ({d('lr_schedule')})")
    o.add_argument("--decay-start", type=_fraction, default=None,
                   help=f"fraction of the iterations where the linear decay starts ({d('decay_start')})")
    o.add_argument("--lr-end", type=_fraction, default=None,
                   help=f"the linear schedule's final factor ({d('lr_end')})")
    r = p.add_argument_group("regularization")
    r.add_argument("--r1", type=_non_negative_float, default=None,
                   help=f"R1 weight gamma on D's input gradient at real data, 0 = off ({d('r1')})")
    r.add_argument("--gp-lambda", type=_positive_float, default=None,
                   help="WGAN-GP penalty weight (default: 10 with --loss wgan-gp, else off)")
    r.add_argument("--clip", type=_positive_float, default=None, help="WGAN weight clipping c (default off)")
    n = p.add_argument_group("networks (MLPs, LeakyReLU(0.2))")
    n.add_argument("--hidden", type=_positive_int, default=None, help=f"units per hidden layer ({d('hidden')})")
    n.add_argument("--layers", type=_positive_int, default=None, help=f"hidden layers ({d('layers')})")
    n.add_argument("--z-dim", type=_positive_int, default=None, help=f"noise dimension ({d('z_dim')})")
    x = p.add_argument_group("the run")
    x.add_argument("--seed", type=_non_negative_int, default=0, help="seeds init, data and noise (default 0)")
    x.add_argument("--device", default=None, help="cpu or cuda[:i] (default: MINIGAN_DEVICE, else cpu)")
    x.add_argument("--threads", type=_positive_int, default=1,
                   help="BLAS threads; these small matrices run fastest on one (default 1)")
    x.add_argument("--out", default=None, help="the run folder (default out/<dataset>-seed<seed>)")
    x.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    x.add_argument("--force", action="store_true", help="overwrite an earlier run in --out")
    x.add_argument("--checkpoint-every", type=_non_negative_int, default=1000,
                   help="iterations between checkpoints, 0 = only at the end (default 1000)")
    x.add_argument("--snapshots", type=_non_negative_int, default=5,
                   help="sample snapshots drawn over training (default 5)")
    x.add_argument("--no-progress", action="store_true", help="no progress bar")
    x.add_argument("--no-figures", action="store_true", help="write no figures")


_RECIPE_FLAGS = {  # Recipe field -> argparse dest
    "loss": "loss", "k_d": "k_d", "k_g": "k_g", "iterations": "iterations", "batch_size": "batch_size",
    "optimizer": "optimizer", "lr_d": "lr_d", "lr_g": "lr_g", "lr_schedule": "lr_schedule",
    "decay_start": "decay_start", "lr_end": "lr_end", "r1": "r1", "gp_lambda": "gp_lambda", "clip": "clip",
    "hidden": "hidden", "layers": "layers", "z_dim": "z_dim",
}


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="minigan", description=__doc__.split("\n\n")[0], formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = sub.add_parser("train", help="train a GAN on a data set into a run folder",
                           description="Train a GAN with Algorithm 1 into a run folder.", epilog=_EPILOG,
                           formatter_class=fmt)
    names = list(datasets.NAMES) + sorted(datasets.ALIASES)
    train.add_argument("dataset", choices=names, metavar="DATASET",
                       help=f"one of {', '.join(datasets.NAMES)} (aliases: {', '.join(sorted(datasets.ALIASES))})")
    _add_train_args(train)
    demo = sub.add_parser("demo", help="the ring with its default recipe, into out/demo (overwrites)")
    demo.add_argument("--out", default=os.path.join("out", "demo"), help="output folder (default out/demo)")
    demo.add_argument("--seed", type=_non_negative_int, default=0, help="default 0")
    demo.add_argument("--iterations", type=_positive_int, default=None,
                      help=f"default {recipes.default_recipe('ring8').iterations}")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    theory = sub.add_parser("theory", help="D -> D* and V -> C(G) on 1-D Gaussians (Goodfellow et al. 2014)")
    theory.add_argument("--iterations", type=_positive_int, default=1500, help="D steps, G steps (default 1500)")
    theory.add_argument("--seed", type=_non_negative_int, default=0, help="default 0")
    dirac = sub.add_parser("dirac", help="the Dirac-GAN (Mescheder et al. 2018): simultaneous, alternating, R1")
    dirac.add_argument("--steps", type=_positive_int, default=200, help="gradient steps (default 200)")
    dirac.add_argument("--lr", type=_positive_float, default=0.1, help="step size h (default 0.1)")
    dirac.add_argument("--gamma", type=_positive_float, default=0.3, help="R1 weight (default 0.3)")
    figures = sub.add_parser("figures", help="redraw every figure of a run (dashboard, D's surfaces, animation.gif, "
                                            "the graph of a step, ...)")
    figures.add_argument("history", metavar="RUN", help="a run's folder, or its metrics.jsonl (or history.json)")
    figures.add_argument("--out", default=None, help="output folder (default: the run's folder)")
    sub.add_parser("info", help="versions, devices, BLAS and threads")
    return parser


# ---- commands -----------------------------------------------------------------------------------
def _recipe_from(args) -> recipes.Recipe:
    changes = {field: getattr(args, dest) for field, dest in _RECIPE_FLAGS.items()
               if getattr(args, dest) is not None}
    if changes.get("r1") == 0:
        changes["r1"] = None
    return recipes.default_recipe(args.dataset, seed=args.seed, **changes)


def _resume_command(args, argv: Sequence[str]) -> str:
    prog = f"{shlex.quote(sys.executable)} -m minigan" if _invoked_as_module() else "minigan"
    words = [a for a in argv if a not in ("--force", "--resume")]
    if "--out" not in words and not any(w.startswith("--out=") for w in words):
        words += ["--out", args.out]
    return " ".join([prog] + [shlex.quote(w) for w in words] + ["--resume"])


def _invoked_as_module() -> bool:
    main_mod = sys.modules.get("__main__")
    return getattr(main_mod, "__spec__", None) is not None and main_mod.__spec__.name == "minigan.__main__"


def _train(args, argv: Sequence[str]) -> int:
    from .lab.runs import train_run

    recipe = _recipe_from(args)
    if recipe.loss in ("wasserstein",) and recipe.clip is None and recipe.gp_lambda is None:
        print("minigan train: warning: --loss wasserstein without --clip or --gp-lambda: nothing keeps "
              "the critic Lipschitz, so its values do not estimate W1 (pass --clip 0.01 or use --loss wgan-gp)",
              file=sys.stderr)
    args.out = args.out or os.path.join("out", f"{recipe.dataset}-seed{recipe.seed}")
    summary = train_run(recipe, args.out, resume=args.resume, force=args.force,
                        checkpoint_every=args.checkpoint_every, device=args.device, threads=args.threads,
                        progress=not args.no_progress, snapshots=args.snapshots, figures=not args.no_figures,
                        resume_command=_resume_command(args, argv))
    return 130 if summary.get("interrupted") else 0


def _demo(args) -> int:
    from .lab.runs import train_run

    changes = {"iterations": args.iterations} if args.iterations else {}
    train_run(recipes.default_recipe("ring8", seed=args.seed, **changes), args.out, force=True,
              progress=not args.no_progress)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``minigan`` command; returns the exit status. A problem the user
    can fix (a bad flag value, a folder holding a run, no GPU, a missing file) is one line
    on stderr and exit status 2, not a traceback. An interrupted training exits with 130."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return _train(args, argv)
        if args.command == "demo":
            return _demo(args)
        from .lab import commands

        return commands.run(args.command, vars(args))
    except (RuntimeError, ValueError, OSError, ImportError) as exc:
        parser.exit(2, f"minigan {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"minigan {args.command}: interrupted\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

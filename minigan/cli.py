"""The ``minigan`` command: train a GAN and draw the game.

    minigan demo [--out out/demo]                       # the 8-mode ring, non-saturating, Adam
    minigan train --dataset ring|grid|digits [--g-loss ...] [--iterations N] [--out DIR]
    minigan figures out/demo/history.json [--out DIR]   # redraw the dashboard from a run

A run writes into --out: history.json (every iteration's record), summary.json (the
final numbers), and PNG figures (dashboard, samples over time, D's decision surface or
a digits grid).
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from .lab.runs import DEMO_DEFAULTS, redraw, run_training

__all__ = ["main"]

def _add_training_args(p: argparse.ArgumentParser, defaults: dict) -> None:
    p.add_argument("--out", default=None, help="output folder (default out/<dataset>)")
    p.add_argument("--iterations", type=int, default=defaults["iterations"])
    p.add_argument("--seed", type=int, default=defaults["seed"])
    p.add_argument("--batch-size", type=int, default=defaults["batch_size"])
    p.add_argument("--lr", type=float, default=defaults["lr"])
    p.add_argument("--hidden", type=int, default=defaults["hidden"])
    p.add_argument("--layers", type=int, default=defaults["layers"])
    p.add_argument("--z-dim", type=int, default=defaults["z_dim"])
    p.add_argument("--k-d", type=int, default=defaults["k_d"], help="D steps per G step (Algorithm 1's k)")
    p.add_argument("--snapshots", type=int, default=5)
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minigan", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train on the 8-mode ring and draw the game")
    _add_training_args(demo, DEMO_DEFAULTS)
    train = sub.add_parser("train", help="train a GAN on a toy data set")
    _add_training_args(train, DEMO_DEFAULTS)
    train.add_argument("--dataset", choices=["ring", "grid", "digits"], default="ring")
    train.add_argument("--g-loss", default=None,
                       choices=["non-saturating", "minimax", "least-squares", "wasserstein"],
                       help="default: the partner of --d-loss")
    train.add_argument("--d-loss", default="bce", choices=["bce", "least-squares", "wasserstein"])
    train.add_argument("--gp-lambda", type=float, default=None, help="WGAN-GP weight (e.g. 10)")
    train.add_argument("--clip", type=float, default=None, help="WGAN weight clipping c (e.g. 0.01)")
    figures = sub.add_parser("figures", help="redraw the dashboard of a saved history.json")
    figures.add_argument("history")
    figures.add_argument("--out", default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``minigan`` command; returns the exit status. A problem the user
    can fix (no GPU, a bad device name, a missing or corrupt file) is one line on stderr
    and exit status 2, not a traceback."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (RuntimeError, ValueError, OSError) as exc:
        parser.exit(2, f"minigan {args.command}: error: {exc}\n")


def _run(args) -> int:
    if args.command == "figures":
        for f in redraw(args.history, args.out):
            print(f"wrote {f}")
        return 0
    dataset = getattr(args, "dataset", "ring")
    g_loss = getattr(args, "g_loss", "non-saturating")
    d_loss = getattr(args, "d_loss", "bce")
    if g_loss is None:
        g_loss = {"bce": "non-saturating", "least-squares": "least-squares",
                  "wasserstein": "wasserstein"}[d_loss]
    out = args.out or os.path.join("out", "demo" if args.command == "demo" else dataset)
    run_training(out, dataset=dataset, iterations=args.iterations, seed=args.seed,
                 batch_size=args.batch_size, lr=args.lr, hidden=args.hidden, layers=args.layers,
                 z_dim=args.z_dim, g_loss=g_loss, d_loss=d_loss, k_d=args.k_d,
                 gp_lambda=getattr(args, "gp_lambda", None), clip=getattr(args, "clip", None),
                 snapshots=args.snapshots, progress=not args.no_progress)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

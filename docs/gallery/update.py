"""Copy the gallery's figures from the folders `make gallery` writes into docs/gallery, small.

Each PNG is reduced to at most 1200 px wide and a 256-colour palette (octree) (Pillow), so that the
committed copies stay under ~150 KB; the full-size figures stay where the commands wrote
them. The animation is redrawn from the run's frames.npz with every second frame, at 60 dpi.

    python docs/gallery/update.py            # after `make gallery`
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# gallery name -> the file a command writes (see the README's gallery for the commands)
SOURCES = {
    "01_figure1.png": "out/figure1/figure1.png",
    "02_surfaces.png": "out/demo/surfaces.png",
    "03_samples.png": "out/demo/samples.png",
    "04_modes.png": "out/demo/modes.png",
    "05_dashboard.png": "out/demo/dashboard.png",
    "06_saturation.png": "out/demo/saturation.png",
    "07_graph.png": "out/demo/graph.png",
    "08_dirac.png": "out/non_convergence/non_convergence.png",
    "09_k_sweep.png": "out/k_sweep/k_sweep.png",
    "10_kl.png": "out/kl_direction/kl_direction.png",
    "11_animation.gif": "out/demo/frames.npz",
}
MAX_WIDTH = 1200


def shrink(src: Path, dst: Path, max_width: int = MAX_WIDTH) -> int:
    """Write ``src`` to ``dst`` at most ``max_width`` wide with a 256-colour palette (octree); returns bytes."""
    with Image.open(src) as im:
        im = im.convert("RGB")
        if im.width > max_width:
            im = im.resize((max_width, round(im.height * max_width / im.width)), Image.Resampling.LANCZOS)
        im.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
            dst, optimize=True)
    return dst.stat().st_size


def small_animation(frames_npz: Path, dst: Path, every: int = 2, dpi: int = 60) -> int:
    """Redraw a run's animation from its frames.npz with every ``every``-th frame (and the
    last) at ``dpi``: a GIF small enough to commit."""
    from minigan.lab.runs import read_history
    from minigan.viz import game2d

    rec = game2d.Recorder.load(frames_npz)
    keep = sorted(set(range(0, len(rec), every)) | {len(rec) - 1})
    for name in ("iterations", "samples", "surfaces", "forces"):
        setattr(rec, name, [getattr(rec, name)[i] for i in keep])
    history = read_history(str(frames_npz.with_name("metrics.jsonl")))
    game2d.animation(rec, dst, history=history, dpi=dpi, fps=3, title="the GAN game on the 8-mode ring")
    return dst.stat().st_size


def main() -> int:
    missing = [s for s in SOURCES.values() if not (ROOT / s).exists()]
    if missing:
        print(f"missing (run `make gallery` first): {', '.join(missing)}", file=sys.stderr)
        return 2
    total = 0
    for name, src in SOURCES.items():
        size = (small_animation if name.endswith(".gif") else shrink)(ROOT / src, HERE / name)
        total += size
        print(f"{os.path.relpath(HERE / name, ROOT)}: {size / 1024:.0f} KB (from {src})")
    print(f"gallery: {total / 1024:.0f} KB in {len(SOURCES)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The README's code runs as printed (a README that lies is a bug)."""
from __future__ import annotations

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _python_block(after_heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(after_heading, 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block after {after_heading!r} in README.md"
    return match.group(1)


def test_readme_ten_line_example_runs_and_its_gradchecks_pass():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_python_block("## Ten lines"), "README:ten-lines", "exec"), {})
    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == "True True", f"expected gradcheck and gradgradcheck to print 'True True', got {lines}"
    assert "(3, 2)" in lines[-2], f"expected w.grad.shape (3, 2) to be printed, got {lines}"


def test_readme_gan_example_trains_and_records_the_game():
    code = _python_block("## A GAN, with PyTorch's names").replace("trainer.train(2000)", "trainer.train(30)")
    out = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README:gan", "exec"), scope)
    history = scope["history"]
    assert len(history) == 30, f"expected 30 records, got {len(history)}"
    d_real, d_fake, value = (float(v) for v in out.getvalue().split())
    assert 0 < d_fake < 1 and 0 < d_real < 1, f"D outputs must be probabilities, got {d_real}, {d_fake}"
    assert value < 0, f"V(D, G) is a sum of two logs of probabilities, got {value}"

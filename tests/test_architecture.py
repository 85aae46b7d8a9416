"""ARCHITECTURE.md holds true: its tour runs as printed, and no module imports a layer above its own."""
from __future__ import annotations

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minigan"

# engine (0) <- nn, optim, utils (1) <- gan (2) <- lab (3) <- viz, cli (4)
LAYER = {"nn": 1, "optim": 1, "utils": 1, "gan": 2, "lab": 3, "viz": 4, "cli": 4, "__main__": 4}
# the known exception ARCHITECTURE.md names: a run folder's figures, drawn from lab.runs
KNOWN_UPWARD = {("minigan.lab.runs", "minigan.viz")}


def test_architecture_tour_runs_as_printed():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## A tour that runs", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no python block after '## A tour that runs' in ARCHITECTURE.md"
    exec(compile(match.group(1), "ARCHITECTURE:tour", "exec"), {"__name__": "architecture_tour"})


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYER.get(parts[1], 0) if len(parts) > 1 else -1


def _imports(path: pathlib.Path, source: str | None = None):
    """(importing module, imported minigan module or name, line) for every import in ``path``
    (or in ``source``, read as that file), those inside functions included."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    is_package = parts[-1] == "__init__"
    module = ".".join(parts[:-1] if is_package else parts)
    package = module if is_package else module.rsplit(".", 1)[0]
    if source is None:
        source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [base] if node.module else []
            targets += [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == "minigan":
                yield module, target, node.lineno


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for module, target, line in _imports(path):
            if module == "minigan":  # the public API re-exports every layer
                continue
            if _layer(target) > _layer(module) and not any(
                    module == m and (target == t or target.startswith(t + ".")) for m, t in KNOWN_UPWARD):
                upward.append(f"{path.relative_to(ROOT)}:{line}: {module} (layer {_layer(module)}) "
                              f"imports {target} (layer {_layer(target)})")
    assert not upward, "imports against the layering of ARCHITECTURE.md:\n" + "\n".join(upward)


def test_the_layer_check_sees_relative_and_lazy_imports():
    probe = PACKAGE / "nn" / "probe.py"  # never written: its source is given
    source = "def f():\n    from ..gan import losses\n    from .. import lab\n    import minigan.viz\n"
    found = {(m, t) for m, t, _ in _imports(probe, source)}
    expected = {("minigan.nn.probe", "minigan.gan"), ("minigan.nn.probe", "minigan.lab"),
                ("minigan.nn.probe", "minigan.viz")}
    assert expected <= found, f"expected {expected} among the imports found, got {found}"

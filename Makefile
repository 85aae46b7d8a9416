# minigan: `make test` and `make demo` each set up .venv on a fresh machine, nothing by hand.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: test demo gallery bench lint clean

# The MLPs here are small: a multi-threaded BLAS spends more time waking threads than
# multiplying (a demo step measured 36x slower with 2 OpenBLAS threads than with 1 on a
# busy 2-core machine). One thread unless the caller says otherwise.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

$(PY):
	$(PYTHON) -m venv $(VENV)

# test: numpy, pytest, hypothesis, matplotlib, scikit-learn, and PyTorch's CPU build as the oracle
$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PIP) install -e ".[test]"
	touch $@

$(VENV)/.demo-installed: pyproject.toml | $(PY)
	$(PIP) install -e ".[plot,data]"
	touch $@

test: $(VENV)/.test-installed
	$(PY) -m pytest

demo: $(VENV)/.demo-installed
	$(PY) examples/demo.py --out out/demo
	@echo "the ring's figures are in out/demo: dashboard.png surfaces.png samples.png modes.png saturation.png graph.png animation.gif"

# the README's gallery: the demo, Figure 1, the studies, then small copies in docs/gallery
gallery: demo
	$(PY) examples/goodfellow_figure1.py --out out/figure1
	$(PY) examples/non_convergence.py --out out/non_convergence
	$(PY) examples/k_sweep.py --out out/k_sweep
	$(PY) examples/kl_direction.py --out out/kl_direction
	$(PY) docs/gallery/update.py

bench: $(VENV)/.test-installed
	$(PY) benchmarks/step.py
	$(PY) benchmarks/ops.py

# lint: ruff (the rules in pyproject's [tool.ruff]) on all the Python, then mypy on the
# modules [tool.mypy] lists; both pinned in the lint extra. CI runs it before the tests.
$(VENV)/.lint-installed: pyproject.toml | $(PY)
	$(PIP) install -e ".[lint]"
	touch $@

lint: $(VENV)/.lint-installed
	$(VENV)/bin/ruff check minigan tests benchmarks examples docs kernels
	$(PY) -m mypy

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .hypothesis .ruff_cache .mypy_cache

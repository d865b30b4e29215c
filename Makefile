# The two commands a newcomer runs: `make demo` and `make test`. Both set everything up first.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mlanim-installed

.PHONY: setup browser demo test check lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

demo: setup
	$(VENV)/bin/mlanim render scenes/quickstart.yaml

# Chromium for the page tests (the package itself needs no browser).
browser:
	bash scripts/browser.sh

# Tests run in one process a core (pytest-xdist). Torch's idle threads sleep instead of
# spinning (OMP_WAIT_POLICY=PASSIVE): two processes whose threads spin against each other on
# two cores run slower than one, and single-threaded torch made the heavy tests 3-7x slower.
PYTEST := OMP_WAIT_POLICY=PASSIVE $(PY) -m pytest -q -n auto --dist worksteal

test: setup browser
	$(VENV)/bin/ruff check .
	$(PYTEST)

# The inner loop: ruff and the fast tier (tests marked slow are left to `make test` and CI).
check: setup
	$(VENV)/bin/ruff check .
	$(PYTEST) -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[bench]"
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf outputs .mlanim .pytest_cache

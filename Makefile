# The README's two commands: `make run` (install, then start the app on the demo data) and `make test`
# (install, then run the whole test suite, browser tests included). Both work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint demo bench clean-data workshop

$(VENV)/.runtime: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Starts on the embedded demo warehouse (built on first start, about ten seconds) at http://127.0.0.1:$(PORT)
run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Serves the lab to the room over the local network; prints the address to share and its QR code.
workshop: $(VENV)/.runtime
	$(PY) -m vipmg_core workshop --port $(PORT)

# The tests without a browser on two processes (a test file stays on one), then the browser tests one at a time
# (each drives chromium against its own server; two at once on two cores would time each other out).
# ruff and the type checker (configured in pyproject.toml) on the core; `make test` runs them first.
lint: $(VENV)/.dev
	$(PY) -m ruff check vipmg_core
	$(PY) -m mypy

test: $(VENV)/.dev lint
	@command -v chromium >/dev/null 2>&1 || sh tools/install_chromium.sh
	@sh tools/install_axe.sh
	sh tools/start_postgres.sh >/dev/null  # a PostgreSQL on 127.0.0.1:55432 for the catalogue tests (VIPMG_TEST_PG_URL)
	$(PY) -m pytest -n 2 --dist loadfile -m "not browser"
	$(PY) -m pytest -m browser

demo: $(VENV)/.runtime
	$(PY) -m vipmg_core demo

bench: $(VENV)/.dev
	$(PY) bench/warehouse_bench.py

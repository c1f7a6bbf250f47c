# ikemap: two commands on a fresh machine.
#   make app   - set up (venv, install, demo workspace) and serve the app on http://127.0.0.1:8501
#   make test  - the same set-up, then the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DEMO   := data/demo/demo.gpkg
PORT   ?= 8501

.PHONY: app test lint bench demo clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(DEMO): $(STAMP) $(wildcard geo/demo*.py)
	$(VENV)/bin/ikemap demo --out $(DEMO) --seed 42 --size small

demo: $(DEMO)

app: $(STAMP) $(DEMO)
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# two workers (the machines have two cores); a test file stays on one worker (its fixtures,
# its streamlit server), so every file builds what it needs once
test: $(STAMP) $(DEMO)
	$(PY) -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) -m bench.travel --nodes 200000 --children 5000 --facilities 1000 --k 3

clean:
	rm -rf $(VENV) $(DEMO)

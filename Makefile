# The two commands of the README. Both set up a fresh machine first.
#   make demo   set up, build, compile the bundled example model to model.so, run it
#   make test   set up, build, run every test (lit + GoogleTest through lit)
#   make eval   the accuracy harness on SmolLM2-135M and MiniLM
#               (docs/accuracy.md); make eval-smoke runs it small

BUILD ?= build
JOBS ?= 2
VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python3

.PHONY: all setup configure build test demo docs eval eval-setup eval-smoke clean

all: build

setup:
	bash scripts/setup.sh $(VENV)

configure: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DPython3_EXECUTABLE=$(PYTHON)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	@status=0; cmake --build $(BUILD) --target check-qcc -j $(JOBS) || status=$$?; \
	  $(PYTHON) scripts/test_summary.py $(BUILD)/test-results.xml; exit $$status

demo: build
	PYTHON=$(PYTHON) bash scripts/demo.sh $(BUILD)

eval-setup: build
	bash bench/eval/setup.sh $(VENV)

eval: eval-setup
	$(PYTHON) bench/eval/run.py --json docs/accuracy-smollm2.json \
	  --plot docs/accuracy-smollm2.png
	$(PYTHON) bench/eval/minilm_embeddings.py --json docs/accuracy-minilm.json

eval-smoke: eval-setup
	$(PYTHON) bench/eval/run.py --windows 2 --schemes w4a16 w8a8 \
	  --work $(BUILD)/eval-smoke
	$(PYTHON) bench/eval/minilm_embeddings.py --sentences 16 \
	  --schemes w4a16 w8a8 --work $(BUILD)/eval-smoke/minilm

docs: configure
	cmake --build $(BUILD) --target qcc-doc

clean:
	rm -rf $(BUILD)

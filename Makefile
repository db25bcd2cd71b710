# The two commands of the README. Both set up a fresh machine first.
#   make demo   set up, build, import the bundled example model and show the result
#   make test   set up, build, run every test (lit + GoogleTest through lit)

BUILD ?= build
JOBS ?= 2
VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python3

.PHONY: all setup configure build test demo docs clean

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

docs: configure
	cmake --build $(BUILD) --target qcc-doc

clean:
	rm -rf $(BUILD)

# Quick start: `make demo` and `make test`; each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLES := samples/cards
GENERATED := samples/generated

.PHONY: demo test test-fast bench eval samples system-deps venv clean

# Tesseract (and the fonts the sample generator draws with) come from Debian's packages.
system-deps:
	@if ! command -v tesseract >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi liberation; then \
		echo "Installing Tesseract and fonts from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			tesseract-ocr tesseract-ocr-eng fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf \
			fonts-croscore fonts-urw-base35 >/dev/null; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: system-deps $(STAMP)
	$(BIN)/card-reader eval $(SAMPLES) --show-cards

test: system-deps $(STAMP)
	$(BIN)/python -m pytest -q

# The fast tier only: no Tesseract, no photos.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not e2e"

bench: system-deps $(STAMP)
	$(BIN)/python benchmarks/bench.py $(SAMPLES)

# A larger generated set, git-ignored, for measuring beyond the committed samples.
samples: system-deps $(STAMP)
	$(BIN)/python samples/generate.py --out $(GENERATED) --count 240 --seed 2026

eval: system-deps $(STAMP)
	$(BIN)/card-reader eval $(if $(wildcard $(GENERATED)),$(GENERATED),$(SAMPLES))

clean:
	rm -rf $(VENV) .pytest_cache

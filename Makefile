# Two commands do everything on a fresh machine: `make dev` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Wheels of every locked dependency, so the production-install test builds a fresh virtualenv offline.
WHEELS := $(VENV)/wheels
LOCK := requirements.lock
CHROMIUM := /usr/bin/chromium

# Pins every dependency of bookflow's dev extra and of the test kit, with the hashes of every file of each
# release (any platform), from pyproject's lower bounds; the existing pins are kept where they still fit.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml tests/kit/pyproject.toml --extra dev --universal \
	--python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet

.PHONY: dev test install lint bench lock lock-check clean

# Dependencies come only from the lock, hash-checked; then bookflow and its test kit (tests/kit) go in
# editable, without dependencies and without network (setuptools is in the lock).
$(BIN)/.installed: pyproject.toml tests/kit/pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e . -e tests/kit
	rm -rf $(WHEELS)
	$(BIN)/pip wheel --quiet --require-hashes -r $(LOCK) -w $(WHEELS)
	touch $@

install: $(BIN)/.installed $(CHROMIUM)

# The browser tests (tests/pages, testkit.browser) drive Debian's chromium, never a browser build that
# Playwright would download: installed here when missing, left alone when present.
$(CHROMIUM):
	export DEBIAN_FRONTEND=noninteractive; apt-get install -y chromium || (apt-get update && apt-get install -y chromium)

# After changing dependencies in pyproject.toml (or tests/kit/pyproject.toml): re-pin them, with hashes.
# Pins move only where pyproject asks; `make lock UPGRADE=--upgrade` moves every pin to the newest release.
lock:
	test -x $(BIN)/uv || $(MAKE) install
	$(UV_COMPILE) $(UPGRADE) -o $(LOCK)

# Fails when requirements.lock no longer matches pyproject (a dependency added without `make lock`).
lock-check: install
	cp $(LOCK) $(VENV)/lock-check.txt
	$(UV_COMPILE) -o $(VENV)/lock-check.txt
	diff -u $(LOCK) $(VENV)/lock-check.txt

# The embedded stack: Temporal dev server, worker and API, until Ctrl-C.
dev: install
	BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE=true $(BIN)/bookflow dev

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench lifecycle --bookings 200

clean:
	rm -rf $(VENV) .bookflow .pytest_cache

# Two commands do everything on a fresh machine: `make dev` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: dev test install lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

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

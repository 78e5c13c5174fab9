# Every target installs what it needs (uv, then the locked dependencies) before it runs.
UV := ./scripts/uv
RUN := UV_PYTHON_DOWNLOADS=never $(UV) run --frozen

.PHONY: demo test lint types migrations check bench assets browser mailserver pango messages

demo: assets pango ## run the product: database, demo city, users, server at http://127.0.0.1:8000
	$(RUN) python -m ascolto demo

test: assets browser mailserver pango ## run the test suite (SQLite; set DATABASE_URL for PostgreSQL)
	$(RUN) pytest

lint:        ## ruff lint and format check
	$(RUN) ruff check . && $(RUN) ruff format --check .

types:       ## mypy (strict, with django-stubs)
	$(RUN) mypy

migrations:  ## fail if a model change has no migration
	$(RUN) python -m ascolto makemigrations --check --dry-run

assets:      ## front-end packages (npm ci) copied into the app's static files
	./scripts/assets

browser:     ## Debian's Chromium for the browser tests (apt-get, once)
	./scripts/browser

mailserver:  ## Debian's Dovecot for the mailbox tests (apt-get, once)
	./scripts/mailserver

pango:       ## Debian's Pango for WeasyPrint, which makes the report PDFs (apt-get, once)
	./scripts/pango

messages:    ## update the English catalogue from the templates and code, and compile it
	cd src/ascolto && UV_PYTHON_DOWNLOADS=never ../../scripts/uv run --frozen python -m ascolto makemessages -l en --no-obsolete -i "web/static/vendor/*" -i "demo/*"
	cd src/ascolto && UV_PYTHON_DOWNLOADS=never ../../scripts/uv run --frozen python -m ascolto compilemessages -l en

check: lint types migrations test  ## everything CI checks, on SQLite

bench:       ## benchmarks that print their figures (PostgreSQL must be reachable)
	$(RUN) python benchmarks/intake.py && $(RUN) python benchmarks/chatbot.py && $(RUN) python benchmarks/staffing.py && $(RUN) python benchmarks/schedule.py && $(RUN) python benchmarks/forecast.py && $(RUN) python benchmarks/scrivi.py && $(RUN) python benchmarks/screenpop.py && $(RUN) python benchmarks/webhooks.py && ./scripts/mailserver && $(RUN) python benchmarks/mailboxes.py --databases postgres && $(RUN) python benchmarks/calls_import.py

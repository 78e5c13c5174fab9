# Every target installs what it needs (uv, then the locked dependencies) before it runs.
UV := ./scripts/uv
RUN := UV_PYTHON_DOWNLOADS=never $(UV) run --frozen

.PHONY: demo test lint types migrations audit check bench city assets browser mailserver pango messages loadtest faults

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

audit:       ## known vulnerabilities in uv.lock and package-lock.json; SBOMs in build/audit/
	./scripts/audit

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

CITY_URL ?= postgres://postgres@127.0.0.1:5432/ascolto_city

city:        ## the 1 M-case demo city the console benchmarks read (PostgreSQL `ascolto_city`, ~12 min at rest)
	psql "$(CITY_URL)" -qtAc 'SELECT 1' >/dev/null 2>&1 || createdb --maintenance-db="$(dir $(CITY_URL))postgres" $(notdir $(CITY_URL))
	DATABASE_URL=$(CITY_URL) $(RUN) python -m ascolto migrate -v0
	DATABASE_URL=$(CITY_URL) $(RUN) python -m ascolto generate_city --scale 1.0 --seed 42
	vacuumdb --analyze -d "$(CITY_URL)"

bench:       ## benchmarks that print their figures (PostgreSQL must be reachable; api.py lists cases and summaries.py rebuilds over the migrated `make city`)
	$(RUN) python benchmarks/intake.py && $(RUN) python benchmarks/chatbot.py && $(RUN) python benchmarks/staffing.py && $(RUN) python benchmarks/schedule.py && $(RUN) python benchmarks/forecast.py && $(RUN) python benchmarks/scrivi.py && $(RUN) python benchmarks/worker_memory.py && $(RUN) python benchmarks/screenpop.py && $(RUN) python benchmarks/webhooks.py && ./scripts/mailserver && $(RUN) python benchmarks/mailboxes.py --databases postgres && $(RUN) python benchmarks/calls_import.py && $(RUN) python benchmarks/surveys.py && $(RUN) python benchmarks/survey_summary.py && $(RUN) python benchmarks/api.py && $(RUN) python benchmarks/case_page.py && $(RUN) python benchmarks/summaries.py --database-url $(CITY_URL)

LOADTEST_ARGS ?=

loadtest:    ## a city's day over HTTP on the production processes: 10 req/s for 10 min, a 50 req/s burst, exactly-once counts (~20 min; LOADTEST_ARGS="--duration 60" for a short run)
	$(RUN) python loadtest/run.py $(LOADTEST_ARGS)

faults:      ## the load test with each fault in turn: PostgreSQL restarted, worker killed, Redis stopped, attachments' disk read-only (root; restarts the machine's PostgreSQL)
	$(RUN) python loadtest/run.py --fault all $(LOADTEST_ARGS)

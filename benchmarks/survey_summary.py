"""Seconds for a large questionnaire's executive summary (`surveys.summary.generate_summary`),
unweighted and weighted by raking, and for the import of its answers.

    python benchmarks/survey_summary.py [--answers 10000] [--rounds 3] [--databases postgres,sqlite]

A questionnaire of 40 questions: the sample's three dimensions (gender, 8 age bands, 9
municipi), then 10 single choices of 5 options, 9 multiple choices of 6 options, 9 ratings,
8 scales 1-10 and an NPS, every closed question crossed by the three dimensions (111 tables
with their chi-square test). `--answers` rows are written as a CSV like Google Forms' and
imported through `surveys.actions.import_questionnaire` (timed once), then the summary is
generated `--rounds` times without weights and `--rounds` times raked to population margins.
Each database is fresh and migrated: a temporary SQLite file, or the PostgreSQL database
`ascolto_bench_summary`, dropped and re-created at $BENCH_POSTGRES_URL or
postgres://postgres@127.0.0.1:5432 (`served.py`, with the app's environment as deployed:
DEBUG off). Prints the conditions (answers, rows of answers, database, rounds, load average at
start), the import's wall and CPU seconds, each round of the summary, the median and the range.
Budgets on PostgreSQL for 10,000 answers: the summary <= 2 s, weighted or not; the import a
matter of seconds (<= 15 s).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import figures
import served

sys.path.insert(0, str(served.ROOT / "src"))

PG_NAME = "ascolto_bench_summary"
BUDGET = 2.0
IMPORT_BUDGET = 15.0
AGES = ["fino18", "19-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]


def questions() -> list[dict[str, object]]:
    def choices(values: list[str]) -> list[dict[str, str]]:
        return [{"value": v, "label": v.capitalize()} for v in values]

    specs: list[dict[str, object]] = [
        {"code": "genere", "kind": "single", "dimension": "gender", "text": "Genere",
         "choices": choices(["F", "M"])},
        {"code": "eta", "kind": "single", "dimension": "age", "text": "Età",
         "choices": choices(AGES)},
        {"code": "municipio", "kind": "single", "dimension": "district", "text": "Municipio",
         "choices": choices([str(i) for i in range(1, 10)])},
    ]  # fmt: skip
    for i in range(10):
        specs.append({"code": f"s{i}", "kind": "single", "text": f"Scelta {i}",
                      "choices": choices(["uno", "due", "tre", "quattro", "cinque"])})  # fmt: skip
    for i in range(9):
        specs.append({"code": f"m{i}", "kind": "multiple", "text": f"Motivi {i}",
                      "choices": choices(["a", "b", "c", "d", "e", "f"])})  # fmt: skip
    for i in range(9):
        specs.append({"code": f"r{i}", "kind": "rating", "text": f"Voto {i}"})
    for i in range(8):
        specs.append({"code": f"k{i}", "kind": "scale", "text": f"Scala {i}",
                      "scale_min": 1, "scale_max": 10})  # fmt: skip
    specs.append({"code": "nps", "kind": "nps", "text": "Consiglieresti"})
    assert len(specs) == 40
    return specs


def write_file(path: Path, answers: int, seed: int = 17) -> None:
    rng = random.Random(seed)  # noqa: S311 (test data)
    specs = questions()
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow([spec["code"] for spec in specs])
        for _ in range(answers):
            age = rng.choices(range(8), weights=[3, 5, 14, 19, 23, 18, 12, 6])[0]
            row: list[str] = [rng.choice(["F", "F", "M"]), AGES[age], str(rng.randint(1, 9))]
            for spec in specs[3:]:
                kind = spec["kind"]
                if kind == "single":
                    # later options likelier for the old: real differences for the tests
                    row.append(["uno", "due", "tre", "quattro", "cinque"][
                        min(4, int(rng.random() * 4 + age / 7))])  # fmt: skip
                elif kind == "multiple":
                    row.append(";".join(v for v in "abcdef" if rng.random() < 0.3))
                elif kind == "rating":
                    row.append(str(rng.randint(1, 5)))
                elif kind == "scale":
                    row.append(str(rng.randint(1, 10)))
                else:
                    row.append(str(rng.randint(0, 10)))
            out.writerow(row)


def child(path: Path, rounds: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from ascolto.surveys import actions
    from ascolto.surveys.models import (
        Answer,
        PopulationMargins,
        Question,
        Survey,
        SurveyVersion,
    )
    from ascolto.surveys.summary import generate_summary

    load = os.getloadavg()[0]
    survey = Survey.objects.create(code="bench", title="Indagine", kind=Survey.Kind.QUESTIONNAIRE)
    version = SurveyVersion.objects.create(survey=survey, number=1, published_at=timezone.now())
    for position, spec in enumerate(questions(), start=1):
        Question.objects.create(version=version, position=position, **spec)  # type: ignore[arg-type]
    survey.current_version = version
    survey.save()
    margins = PopulationMargins.objects.create(
        name="Città",
        margins={
            "gender": {"F": 0.52, "M": 0.48},
            "age": dict(zip(AGES, [16.5, 5, 13, 14, 16, 14, 10.5, 11], strict=True)),
            "district": {str(i): 1 / 9 for i in range(1, 10)},
        },
    )
    started, cpu = time.perf_counter(), time.process_time()
    report = actions.import_questionnaire(survey, path, "risposte.csv")
    imported, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = Answer.objects.filter(response__survey=survey).count()
    database = connection.vendor
    verdict = "within" if imported <= IMPORT_BUDGET else "OVER"
    print(
        f"[{database}] load average at start {load:.1f}; imported {report.accepted:,} answers "
        f"({rows:,} answer rows, {len(report.refusals)} refused) in {imported:.1f} s, "
        f"{cpu:.1f} s CPU in this process ({verdict} the {IMPORT_BUDGET:.0f} s budget)"
    )
    for label, chosen in (("unweighted", None), ("weighted (raking)", margins)):
        times, cpus = [], []
        content: dict[str, object] = {}
        generate_summary(survey, margins=chosen)  # warm-up: caches, the first read of pages
        for _ in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            content = generate_summary(survey, margins=chosen)
            times.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
        crosstabs = sum(len(q["crosstabs"]) for q in content["questions"])  # type: ignore[attr-defined]
        median = statistics.median(times)
        verdict = "within" if median <= BUDGET else "OVER"
        print(
            f"[{database}] summary {label}: {crosstabs} cross-tabs; rounds "
            + ", ".join(f"{t:.2f}" for t in times)
            + f" s; {figures.spread(times, 's', 2)} "
            f"({verdict} the {BUDGET:.0f} s budget); median {statistics.median(cpus):.2f} s "
            "CPU in this process (the rest: the database, and waiting for a core)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--answers", type=int, default=10_000)
    figures.rounds_option(parser)
    parser.add_argument("--databases", default="postgres")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds)
        return
    print(
        f"executive summary benchmark: {args.answers:,} answers × 40 questions, cross-tabs by "
        f"3 dimensions, {args.rounds} rounds, {figures.machine()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "risposte.csv"
        write_file(path, args.answers)
        command = [sys.executable, __file__, "--child", str(path), "--rounds", str(args.rounds)]
        for database in args.databases.split(","):
            env = served.app_env(PG_NAME)
            if database == "sqlite":
                del env["DATABASE_URL"]
                env["ASCOLTO_VAR_DIR"] = tmp
                served.manage(env, "migrate", "-v0")
            elif database == "postgres":
                served.fresh_database(env, PG_NAME)
            else:
                raise SystemExit(f"unknown database {database!r}: use sqlite and/or postgres")
            subprocess.run(command, env=env, check=True, cwd=served.ROOT)  # noqa: S603
    print(figures.at_end())


if __name__ == "__main__":
    main()

"""Milliseconds for the results page of a survey with 100,000 answers.

    python benchmarks/surveys.py [--responses 100000] [--rounds 3]

Builds, in its own PostgreSQL database (`ascolto_bench_surveys` at $BENCH_POSTGRES_URL or
postgres://postgres@127.0.0.1:5432, created and migrated when missing; the survey is kept
between runs and rebuilt only when its size differs), a satisfaction survey like the demo's
(rating, NPS, a multiple choice of five options, free text) with `--responses` answers over a
year, spread over 6 channels, 20 offices, 30 themes and 6 services, with an invitation per
answer and as many unanswered, and about one answer in five with a comment. Then renders the
console's results page (`/console/questionari/<code>/risultati/`, the whole year, no filter)
through Django's test client signed in as an analyst: the view, every query and the template,
in one process with the database (no HTTP server, no network). One warm-up render, then
`--rounds` timed renders; prints each, the median and the range, the queries of a render, and
the load average at the start. Budget (issue 17): <= 300 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "ascolto_bench_surveys"
CODE = "bench-soddisfazione"
BUDGET_MS = 300.0


def ensure_database() -> None:
    admin = f"{PG_BASE}/postgres"
    found = subprocess.run(  # noqa: S603
        ["psql", admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{PG_NAME}'"],  # noqa: S607, S608
        check=True,
        capture_output=True,
        text=True,
    )
    if found.stdout.strip() != "1":
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {PG_NAME}"], check=True)  # noqa: S603, S607


def build(responses: int) -> None:
    """The survey and its answers, in bulk (numpy draws, a fixed seed)."""
    from datetime import timedelta

    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone
    from tests.surveys.helpers import make_survey, question

    from ascolto.organisation.models import Office
    from ascolto.surveys.models import Answer, Invitation, Response, Service, Survey
    from ascolto.tickets.models import Theme

    rng = np.random.default_rng(17)
    with transaction.atomic():
        Survey.objects.filter(code=CODE).delete()
        offices = [
            Office.objects.get_or_create(code=f"bench-{i}", defaults={"name": f"Ufficio {i}"})[0]
            for i in range(20)
        ]
        themes = list(Theme.objects.order_by("pk")[:30])
        services = [
            Service.objects.get_or_create(
                code=f"bench-servizio-{i}", defaults={"name": f"Servizio {i}"}
            )[0]
            for i in range(6)
        ]
        survey = make_survey(CODE, title="Benchmark: soddisfazione")
        q = {
            code: question(survey, code) for code in ("voto", "consiglio", "migliorare", "commento")
        }
        now = timezone.now()
        at = (
            now
            - timedelta(days=365)
            + timedelta(seconds=1) * rng.integers(0, 365 * 86_400, responses)
        )
        stars = np.clip(np.rint(rng.normal(3.9, 1.0, responses)), 1, 5).astype(int)
        nps = np.clip(np.rint(2.3 * stars - 1.2 + rng.normal(0, 1.3, responses)), 0, 10).astype(int)
        kinds = ["web", "email", "phone", "whatsapp", "messenger", "api"]
        channel = rng.integers(0, len(kinds), responses)
        office = rng.integers(0, len(offices), responses)
        theme = rng.integers(0, len(themes), responses)
        service = rng.integers(0, len(services), responses)
        rows = [
            Response(
                survey=survey, version_id=survey.current_version_id, source="web", via="email",
                channel_kind=kinds[channel[i]], office_id=offices[office[i]].pk,
                theme_id=themes[theme[i]].pk, service_id=services[service[i]].pk,
                csat=int(stars[i]), nps=int(nps[i]), submitted_at=at[i],
            )
            for i in range(responses)
        ]  # fmt: skip
        Response.objects.bulk_create(rows, batch_size=10_000)
        invitations = [
            Invitation(
                survey=survey, via="email", channel_kind=r.channel_kind, office_id=r.office_id,
                theme_id=r.theme_id, service_id=r.service_id, created_at=r.submitted_at,
                expires_at=r.submitted_at + timedelta(days=30),
                answered_at=r.submitted_at if n == 0 else None,
            )
            for r in rows
            for n in (0, 1)
        ]  # fmt: skip
        Invitation.objects.bulk_create(invitations, batch_size=10_000)
        del invitations
        choices = ["tempi", "chiarezza", "sito"]
        answers: list[Answer] = []
        for i, r in enumerate(rows):
            answers.append(Answer(response_id=r.pk, question=q["voto"], number=int(stars[i])))
            answers.append(Answer(response_id=r.pk, question=q["consiglio"], number=int(nps[i])))
            if stars[i] <= 4:
                answers.append(
                    Answer(response_id=r.pk, question=q["migliorare"], value=choices[i % 3])
                )
            if i % 5 == 0:
                answers.append(
                    Answer(response_id=r.pk, question=q["commento"], value=f"Commento {i}")
                )
            if len(answers) >= 50_000:
                Answer.objects.bulk_create(answers, batch_size=10_000)
                answers = []
        Answer.objects.bulk_create(answers, batch_size=10_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def child(responses: int, rounds: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from tests.personas import verify_second_factor

    from ascolto.organisation.models import User
    from ascolto.surveys.models import Answer, Response, Survey

    load = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    survey = Survey.objects.filter(code=CODE).first()
    if survey is None or Response.objects.filter(survey=survey).count() != responses:
        started = time.perf_counter()
        build(responses)
        print(f"built {responses:,} answers in {time.perf_counter() - started:.0f} s", flush=True)
    answers = Answer.objects.filter(response__survey__code=CODE).count()
    user, _ = User.objects.get_or_create(
        username="bench-analista", defaults={"role": User.Role.ANALYST}
    )
    client = Client(HTTP_HOST="127.0.0.1")  # an address ALLOWED_HOSTS has by default
    client.force_login(user)
    verify_second_factor(client, user)
    url = f"/console/questionari/{CODE}/risultati/"
    timings: list[float] = []
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)  # warm-up
    assert response.status_code == 200, response.status_code
    for n in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 200
        print(f"  round {n + 1}: {timings[-1]:.0f} ms", flush=True)
    median = statistics.median(timings)
    verdict = "within" if median <= BUDGET_MS else "OVER"
    print(
        f"PostgreSQL  {responses:,} responses, {answers:,} answers, {2 * responses:,} invitations; "
        f"results page of one year through the test client: {rounds} rounds, "
        f"{figures.spread(timings, 'ms')}, "
        f"{len(queries)} queries, load average at start {load:.1f} "
        f"({os.cpu_count()} CPUs)  [{verdict} the budget of {BUDGET_MS:.0f} ms]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    figures.rounds_option(parser)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.responses, args.rounds)
        return
    print(f"results page benchmark: {args.rounds} rounds; {figures.machine()}", flush=True)
    ensure_database()
    env = dict(os.environ, DATABASE_URL=f"{PG_BASE}/{PG_NAME}", ASCOLTO_LOG_LEVEL="WARNING")
    command = [sys.executable, __file__, "--child", "--responses", str(args.responses),
               "--rounds", str(args.rounds)]  # fmt: skip
    subprocess.run(command, env=env, check=True, cwd=ROOT)  # noqa: S603
    print(figures.at_end())


if __name__ == "__main__":
    main()

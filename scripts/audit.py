"""Known vulnerabilities in the locked dependencies, and the software bill of materials.

Run by `scripts/audit` (which CI runs after lint and types): reads the reports of `pip-audit`
(the Python packages of uv.lock) and `npm audit` (package-lock.json), and fails when one names a
vulnerability that `.audit-exceptions` does not record, or records with a review date passed.

`.audit-exceptions`, one line per accepted vulnerability, `|`-separated:

    <id> | <package> | <reason> | <review by, YYYY-MM-DD>

`id` is the advisory's id as a report names it (PYSEC-…, GHSA-…, CVE-…; any alias matches);
past its review date an exception no longer counts, so that someone looks again.

An advisory service that cannot be reached is not a clean report: the run says NOT CHECKED in
capitals and fails when ASCOLTO_AUDIT_STRICT=1 (release builds); otherwise it goes on, since a
registry mirror without the audit endpoint would stop every CI run for no vulnerability.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

NPM_LEVELS = ("moderate", "high", "critical")  # npm audit --audit-level=moderate
_GHSA = re.compile(r"GHSA(?:-[0-9a-z]{4}){3}", re.IGNORECASE)


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    reason: str
    review_by: date


@dataclass(frozen=True)
class Finding:
    ecosystem: str  # "python" or "npm"
    package: str
    version: str
    ids: tuple[str, ...]  # the advisory's id first, then its aliases
    summary: str
    fix: str = ""


class Unreachable(Exception):
    """The advisory service did not answer with a report."""


def read_exceptions(text: str) -> list[Accepted]:
    """The exceptions of `.audit-exceptions`; a malformed line is an error naming its number."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 4 or not all(parts):
            raise ValueError(
                f".audit-exceptions line {number}: write 'id | package | reason | YYYY-MM-DD'"
            )
        try:
            review = date.fromisoformat(parts[3])
        except ValueError as exc:
            raise ValueError(
                f".audit-exceptions line {number}: {parts[3]!r} is not a date"
            ) from exc
        found.append(Accepted(parts[0].upper(), parts[1], parts[2], review))
    return found


def pip_findings(report: dict[str, object]) -> list[Finding]:
    """The vulnerabilities of a `pip-audit -f json` report; a report whose packages were
    skipped (PyPI's JSON API not reachable: "not found on PyPI") raises `Unreachable`."""
    if "dependencies" not in report:
        raise Unreachable("pip-audit gave no report")
    dependencies = report.get("dependencies") or []
    skipped = [d for d in dependencies if d.get("skip_reason")]  # type: ignore[union-attr]
    # Every locked package is on PyPI (our own is not exported): a skip is not a clean report.
    if skipped:
        raise Unreachable(
            f"pip-audit could not look up {len(skipped)} of {len(dependencies)} packages "  # type: ignore[arg-type]
            f"({skipped[0].get('skip_reason')})"
        )
    findings = []
    for dep in dependencies:  # type: ignore[union-attr]
        for vuln in dep.get("vulns", []) or []:
            findings.append(
                Finding(
                    "python",
                    str(dep.get("name")),
                    str(dep.get("version")),
                    (str(vuln["id"]), *(str(a) for a in vuln.get("aliases", []) or [])),
                    str(vuln.get("description") or "")[:200],
                    ", ".join(vuln.get("fix_versions", []) or []),
                )
            )
    return findings


def npm_findings(report: dict[str, object]) -> list[Finding]:
    """The advisories of an `npm audit --json` report at moderate severity or above; a report
    that is an error (the registry refused or could not be reached) raises `Unreachable`."""
    if "vulnerabilities" not in report:
        detail = report.get("message") or report.get("error") or "no report"
        raise Unreachable(f"npm audit gave no report: {str(detail)[:200]}")
    findings = []
    vulnerabilities = report["vulnerabilities"] or {}
    for name, item in vulnerabilities.items():  # type: ignore[union-attr]
        for via in item.get("via", []) or []:
            if not isinstance(via, dict) or via.get("severity") not in NPM_LEVELS:
                continue  # a string: the advisory is another package's, listed under it
            ids = tuple(_GHSA.findall(str(via.get("url") or ""))) or (str(via.get("source")),)
            findings.append(
                Finding(
                    "npm",
                    str(name),
                    str(via.get("range") or ""),
                    tuple(i.upper() for i in ids),
                    f"{via.get('severity')}: {via.get('title') or ''}"[:200],
                )
            )
    return findings


def unexcused(
    findings: list[Finding], exceptions: list[Accepted], today: date
) -> tuple[list[Finding], list[Accepted]]:
    """The findings no live exception covers, and the exceptions past their review date."""
    live = {e.id for e in exceptions if e.review_by >= today}
    expired = [e for e in exceptions if e.review_by < today]
    left = [f for f in findings if not live & {i.upper() for i in f.ids}]
    return left, expired


def main(argv: list[str]) -> int:
    """`audit.py <pip-audit.json> <npm-audit.json> <.audit-exceptions>`: 0 when clean."""
    pip_path, npm_path, exceptions_path = (Path(a) for a in argv)
    exceptions = (
        read_exceptions(exceptions_path.read_text(encoding="utf-8"))
        if exceptions_path.exists()
        else []
    )
    strict = os.environ.get("ASCOLTO_AUDIT_STRICT", "") == "1"
    findings: list[Finding] = []
    unchecked: list[str] = []
    for path, read in ((pip_path, pip_findings), (npm_path, npm_findings)):
        try:
            report = json.loads(path.read_text(encoding="utf-8") or "{}")
            findings += read(report)
        except (OSError, ValueError, Unreachable) as exc:
            unchecked.append(f"{path.name}: {exc}")
    left, expired = unexcused(findings, exceptions, datetime.now(UTC).date())
    for item in expired:
        print(
            f"audit: the exception for {item.id} ({item.package}) was due for review on "
            f"{item.review_by}: look again, then renew or remove it"
        )
    for f in findings:
        state = "FAIL" if f in left else "excepted"
        fix = f" (fixed in {f.fix})" if f.fix else ""
        print(f"audit: {state} {f.ecosystem} {f.package} {f.version}: {f.ids[0]}{fix} {f.summary}")
    for note in unchecked:
        print(f"audit: NOT CHECKED {note}")
    if not findings and not unchecked:
        print("audit: no known vulnerability in the locked dependencies")
    if unchecked and strict:
        return 1
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The dependency audit (scripts/audit.py): a known vulnerability fails the run unless
.audit-exceptions records it with a review date not yet passed; an advisory service that gave no
report is never taken for a clean one. Reports are in the shapes pip-audit and npm audit write."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ascolto_audit", ROOT / "scripts" / "audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ascolto_audit"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


audit = _load()

PIP_REPORT: dict[str, Any] = {
    "dependencies": [
        {"name": "django", "version": "5.2.1", "vulns": []},
        {
            "name": "pillow",
            "version": "10.0.0",
            "vulns": [
                {
                    "id": "PYSEC-2023-175",
                    "fix_versions": ["10.0.1"],
                    "aliases": ["CVE-2023-4863", "GHSA-j7hp-h8jx-5ppr"],
                    "description": "libwebp heap overflow",
                }
            ],
        },
    ],
    "fixes": [],
}
NPM_REPORT: dict[str, Any] = {
    "auditReportVersion": 2,
    "vulnerabilities": {
        "chart.js": {
            "name": "chart.js",
            "severity": "high",
            "via": [
                {
                    "source": 1096,
                    "name": "chart.js",
                    "title": "Prototype pollution",
                    "url": "https://github.com/advisories/GHSA-h68q-55jf-x68w",
                    "severity": "high",
                    "range": "<2.9.4",
                }
            ],
        },
        "axe-core": {
            "name": "axe-core",
            "severity": "low",
            "via": [
                {
                    "source": 7,
                    "title": "minor",
                    "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
                    "severity": "low",
                }
            ],
        },
        "bootstrap-italia": {"name": "bootstrap-italia", "severity": "high", "via": ["chart.js"]},
    },
    "metadata": {},
}
DAY = date(2026, 6, 1)


def test_a_known_vulnerability_without_an_exception_fails() -> None:
    findings = audit.pip_findings(PIP_REPORT) + audit.npm_findings(NPM_REPORT)
    assert [(f.ecosystem, f.package, f.ids[0]) for f in findings] == [
        ("python", "pillow", "PYSEC-2023-175"),
        ("npm", "chart.js", "GHSA-H68Q-55JF-X68W"),  # moderate and above; the low one is not
    ]
    left, expired = audit.unexcused(findings, [], DAY)
    assert left == findings and expired == []


def test_an_exception_by_id_or_alias_covers_a_finding_until_its_review_date() -> None:
    findings = audit.pip_findings(PIP_REPORT) + audit.npm_findings(NPM_REPORT)
    accepted = audit.read_exceptions(
        "# comment\n"
        "CVE-2023-4863 | pillow | WebP images are refused before decoding | 2026-07-01\n"
        "ghsa-h68q-55jf-x68w | chart.js | charts get no user input | 2026-05-31  # stale\n"
    )
    left, expired = audit.unexcused(findings, accepted, DAY)
    assert [f.package for f in left] == ["chart.js"]  # its exception is past its review
    assert [e.package for e in expired] == ["chart.js"]
    left, _ = audit.unexcused(findings, accepted, date(2026, 5, 31))
    assert left == []


def test_a_malformed_exception_line_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="line 2"):
        audit.read_exceptions("\nPYSEC-1 | pillow | no date\n")
    with pytest.raises(ValueError, match="not a date"):
        audit.read_exceptions("PYSEC-1 | pillow | why | soon\n")
    assert audit.read_exceptions((ROOT / ".audit-exceptions").read_text()) is not None


def test_a_report_the_service_could_not_make_is_not_clean() -> None:
    with pytest.raises(audit.Unreachable, match="405"):
        audit.npm_findings({"message": "405 Method Not Allowed - POST https://registry/..."})
    skipped = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found"}]}
    with pytest.raises(audit.Unreachable, match="1 of 1"):
        audit.pip_findings(skipped)


def test_the_run_fails_on_a_finding_and_says_not_checked_when_blind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pip, npm, exceptions = tmp_path / "pip.json", tmp_path / "npm.json", tmp_path / "exc"
    pip.write_text(json.dumps(PIP_REPORT))
    npm.write_text(json.dumps({"auditReportVersion": 2, "vulnerabilities": {}}))
    exceptions.write_text("")
    assert audit.main([str(pip), str(npm), str(exceptions)]) == 1
    assert "FAIL python pillow 10.0.0: PYSEC-2023-175 (fixed in 10.0.1)" in capsys.readouterr().out

    pip.write_text(json.dumps({"dependencies": [{"name": "x", "version": "1", "vulns": []}]}))
    npm.write_text(json.dumps({"message": "405 Method Not Allowed"}))
    monkeypatch.delenv("ASCOLTO_AUDIT_STRICT", raising=False)
    assert audit.main([str(pip), str(npm), str(exceptions)]) == 0
    assert "NOT CHECKED npm.json" in capsys.readouterr().out
    monkeypatch.setenv("ASCOLTO_AUDIT_STRICT", "1")
    assert audit.main([str(pip), str(npm), str(exceptions)]) == 1

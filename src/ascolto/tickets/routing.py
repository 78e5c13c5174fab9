"""Routing: which office, team, level and SLA a new case gets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ascolto.organisation.models import Office, Team
from ascolto.tickets.models import RoutingRule, SlaPolicy, Theme


@dataclass(frozen=True)
class Route:
    office: Office | None
    team: Team | None
    level: int
    sla_policy: SlaPolicy | None
    rule: RoutingRule | None


def route(
    channel_kind: str, theme: Theme | None, kind: str, *, rules: Sequence[RoutingRule] | None = None
) -> Route:
    """Apply the active routing rules; the lowest priority number that matches wins.

    A rule with a theme matches that theme and everything below it. Fields a matching rule leaves
    empty are filled by the next matching rules (so one rule can set the SLA for every Scrivi
    case while others pick the office per theme). The theme's competent office is not a
    routing target: it is where an operator escalates to (`Theme.office`).
    """
    ancestors = theme.ancestor_codes() if theme is not None else []
    office: Office | None = None
    team: Team | None = None
    level: int | None = None
    sla: SlaPolicy | None = None
    first: RoutingRule | None = None
    if rules is None:
        rules = list(
            RoutingRule.objects.filter(is_active=True).select_related(
                "theme", "office", "team", "sla_policy"
            )
        )
    for rule in rules:
        if rule.channel_kind and rule.channel_kind != channel_kind:
            continue
        if rule.kind and rule.kind != kind:
            continue
        if rule.theme is not None and rule.theme.code not in ancestors:
            continue
        first = first or rule
        if office is None and rule.office is not None:
            office, level = rule.office, rule.level
        team = team or rule.team
        sla = sla or rule.sla_policy
        if office is not None and team is not None and sla is not None:
            break
    return Route(office, team, level or 1, sla, first)

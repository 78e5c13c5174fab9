"""The seeded city as the generator sees it: channels, taxonomy leaves, routes, operators,
second-level desks and campaigns, loaded once from the database after `seed_reference`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ascolto.channels.models import Channel
from ascolto.demo import reference as ref
from ascolto.demo.replay import Desk, Staff
from ascolto.demo.seed import competent_offices
from ascolto.demo.texts import Topic, topics
from ascolto.demo.timeline import (
    Calendar,
    CampaignPeriod,
    FloatArray,
    IntArray,
    Window,
    campaign_period,
)
from ascolto.organisation.models import Office, Team
from ascolto.tickets.models import Campaign, Tag, Theme, Ticket
from ascolto.tickets.routing import Route, route
from ascolto.tickets.taxonomy import AREA_SHARES

KINDS: tuple[str, ...] = tuple(Ticket.Kind.values)


@dataclass
class CampaignInfo:
    spec: ref.CampaignSpec
    period: CampaignPeriod
    campaign: Campaign
    leaves: IntArray  # leaf indices of its topics
    leaf_weights: FloatArray
    desks: tuple[Desk, ...]
    desk_weights: tuple[float, ...]
    extra_tags: tuple[tuple[int, str, float], ...]  # (tag id, slug, share)


@dataclass
class City:
    window: Window
    calendar: Calendar
    channels: dict[str, Channel]
    areas: list[str]
    area_shares: FloatArray
    leaves: list[str]
    leaf_area: IntArray
    leaf_weight: FloatArray
    leaf_theme_id: list[int]  # the leaf's own Theme id
    leaf_parent_id: list[int | None]  # its theme when the leaf is a topic
    leaf_topic: list[Topic]
    leaf_desk: list[Desk | None]  # the competent office, None when the first level is competent
    staff: dict[str, tuple[Staff, ...]]
    campaigns: dict[str, CampaignInfo]
    themes: dict[int, Theme]
    _routes: dict[tuple[str, int | None, str], Route] = field(default_factory=dict)

    def route(self, channel_kind: str, theme_id: int | None, kind: str) -> Route:
        """`tickets.routing.route`, memoised: the rules do not change while generating."""
        key = (channel_kind, theme_id, kind)
        found = self._routes.get(key)
        if found is None:
            theme = self.themes[theme_id] if theme_id is not None else None
            found = self._routes[key] = route(channel_kind, theme, kind)
        return found

    @cached_property
    def campaign_list(self) -> list[CampaignInfo]:
        """The campaigns in the order plans index them."""
        return list(self.campaigns.values())

    def leaves_of(self, area: int) -> IntArray:
        return np.flatnonzero(self.leaf_area == area)


def load_city(window: Window) -> City:
    calendar = Calendar.of(window)
    channels = {c.code: c for c in Channel.objects.all()}
    themes = {t.pk: t for t in Theme.objects.filter(is_active=True)}
    by_code = {t.code: t for t in themes.values()}
    areas = [t.code for t in sorted(themes.values(), key=lambda t: t.path) if t.level == 1]
    areas = [a for a in areas if a in AREA_SHARES]
    shares = np.array([AREA_SHARES[a] for a in areas])
    has_children = {t.parent_id for t in themes.values() if t.parent_id is not None}
    bank = topics()
    staff = _staff()
    desks = _desks(staff)
    offices = competent_offices()

    leaves: list[str] = []
    leaf_area: list[int] = []
    for theme in sorted(themes.values(), key=lambda t: t.path):
        if theme.level > 1 and theme.pk not in has_children and theme.area_code() in areas:
            if theme.code in bank:
                leaves.append(theme.code)
                leaf_area.append(areas.index(theme.area_code()))
    first_level = {"crm-customer-operations"}
    city = City(
        window=window,
        calendar=calendar,
        channels=channels,
        areas=areas,
        area_shares=shares / shares.sum(),
        leaves=leaves,
        leaf_area=np.array(leaf_area, dtype=np.int64),
        leaf_weight=np.array([bank[c].weight for c in leaves]),
        leaf_theme_id=[by_code[c].pk for c in leaves],
        leaf_parent_id=[
            by_code[c].parent_id if by_code[c].level == Theme.Level.TOPIC else None for c in leaves
        ],
        leaf_topic=[bank[c] for c in leaves],
        leaf_desk=[None if offices[c] in first_level else desks.get(offices[c]) for c in leaves],
        staff=staff,
        campaigns={},
        themes=themes,
    )
    for spec in ref.CAMPAIGNS:
        city.campaigns[spec.code] = _campaign(city, spec, window, desks)
    return city


def _staff() -> dict[str, tuple[Staff, ...]]:
    result: dict[str, tuple[Staff, ...]] = {}
    for team in Team.objects.prefetch_related("members").order_by("code"):
        members = sorted(team.members.all(), key=lambda u: u.username)
        result[team.code] = tuple(Staff(u.pk, str(u)) for u in members if u.is_active)
    return result


def _desks(staff: dict[str, tuple[Staff, ...]]) -> dict[str, Desk]:
    """Each office with a team becomes a desk, staffed by that team (the first team by code)."""
    desks: dict[str, Desk] = {}
    for team in Team.objects.select_related("office").order_by("code"):
        office: Office = team.office
        if office.code not in desks and staff.get(team.code):
            desks[office.code] = Desk(office.pk, office.name, team.pk, staff[team.code])
    return desks


def _campaign(
    city: City, spec: ref.CampaignSpec, window: Window, desks: dict[str, Desk]
) -> CampaignInfo:
    campaign = Campaign.objects.get(code=spec.code)
    leaves = np.array([city.leaves.index(code) for code, _ in spec.topics], dtype=np.int64)
    weights = np.array([w for _, w in spec.topics])
    tags = {t.slug: t.pk for t in Tag.objects.filter(slug__in=[s for _, s, _ in spec.extra_tags])}
    return CampaignInfo(
        spec=spec,
        period=campaign_period(spec, window),
        campaign=campaign,
        leaves=leaves,
        leaf_weights=weights / weights.sum(),
        desks=tuple(desks[code] for code, _ in spec.escalate_to),
        desk_weights=tuple(w for _, w in spec.escalate_to),
        extra_tags=tuple((tags[slug], slug, share) for _, slug, share in spec.extra_tags),
    )

"""The demo city's IVR menu, matching the paths its calls record (`flows.write_calls`): the first
key chooses the area's queue (`flows.QUEUES`, 9 for every other area), the second the topic by
its place among the area's topics. Areas sharing a key share its menu, so a second-level choice
may name a topic of each ("Servizi sociali: … / Casa: …"). The generator numbers the topics
past 9 too ("1>13"): a real IVR would nest them; the menu follows the data."""

from __future__ import annotations

from typing import Any

from ascolto.contactcenter.ivr import LoadedTree, load_ivr_tree
from ascolto.demo.city import City
from ascolto.demo.flows import GENERAL_QUEUE, QUEUES


def demo_menu(city: City) -> list[dict[str, Any]]:
    """The menu as `load_ivr_tree` reads it."""
    by_code = {theme.code: theme for theme in city.themes.values()}
    top: dict[int, dict[str, Any]] = {}
    names: dict[int, list[str]] = {}
    choices: dict[tuple[int, int], list[str]] = {}
    queue_of: dict[int, str] = {}
    seen: dict[int, int] = {}  # area index -> topics counted so far
    for leaf, code in enumerate(city.leaves):
        area = int(city.leaf_area[leaf])
        queue, digit = QUEUES.get(city.areas[area], GENERAL_QUEUE)
        queue_of[digit] = queue
        area_name = by_code[city.areas[area]].name
        if area_name not in names.setdefault(digit, []):
            names[digit].append(area_name)
        seen[area] = seen.get(area, 0) + 1  # the same count as write_calls' `position`
        label = by_code[code].name
        parent = city.leaf_parent_id[leaf]
        if parent is not None:  # a topic: "Carta d'identità › Rinnovo"
            label = f"{city.themes[parent].name} › {label}"
        choices.setdefault((digit, seen[area]), [])
        prefix = f"{area_name}: " if digit in {4, GENERAL_QUEUE[1]} else ""
        if prefix + label not in choices[(digit, seen[area])]:
            choices[(digit, seen[area])].append(prefix + label)
    for digit in sorted(names):
        top[digit] = {
            "code": str(digit),
            "label": " / ".join(names[digit]) if digit != GENERAL_QUEUE[1] else "Altri servizi",
            "children": [],
        }
    for (digit, position), labels in sorted(choices.items()):
        top[digit]["children"].append(
            {"code": str(position), "label": " / ".join(labels)[:200], "transfer": queue_of[digit]}
        )
    return list(top.values())


def seed_ivr(city: City) -> LoadedTree:
    return load_ivr_tree(demo_menu(city))

"""The two formats of Open311 GeoReport v2: XML (required) and JSON (the "Spark convention"
mapping of the same tree), with the spec's field names, dates and error bodies.

A response is a root name and a list of items (dicts of field → value). A value is a string, a
number, a boolean (`true`/`false` in both formats), None (null in JSON, an empty element in
XML), a datetime (W3C format with its offset), or a list of dicts, which XML nests under the
field's name with each element named by `SINGULAR` (`attributes` → `attribute`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse
from django.utils import timezone

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# The element name of one item of each list, as the spec names them.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}

Item = Mapping[str, Any]


def w3c(moment: datetime | None) -> str | None:
    """A time as the spec writes it: ISO 8601 to the second, with the city's UTC offset."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return str(value)


def _fill(element: ElementTree.Element, name: str, value: Any) -> None:
    child = ElementTree.SubElement(element, name)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _fill(child, key, inner)
    elif isinstance(value, list | tuple):
        singular = SINGULAR.get(name, "item")
        for inner in value:
            _fill(child, singular, inner)
    else:
        child.text = _text(value)


def xml_body(root: str, items: Sequence[Item] | Item) -> bytes:
    """The XML document: `<root>` holding one element per item (or the item's fields, when
    `items` is one mapping, as the service definition and discovery are)."""
    top = ElementTree.Element(root)
    if isinstance(items, Mapping):
        for key, value in items.items():
            _fill(top, key, value)
    else:
        singular = SINGULAR[root]
        for item in items:
            element = ElementTree.SubElement(top, singular)
            for key, value in item.items():
                _fill(element, key, value)
    body: bytes = ElementTree.tostring(top, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def respond(fmt: str, root: str, items: Sequence[Item] | Item, status: int = 200) -> HttpResponse:
    """The response in `fmt` ("xml" or "json"): in JSON the list (or the one mapping)."""
    if fmt == "json":
        body = json.dumps(_plain(items), ensure_ascii=False).encode("utf-8")
    else:
        body = xml_body(root, items)
    response = HttpResponse(body, status=status, content_type=FORMATS[fmt])
    response["Cache-Control"] = "no-store"
    return response


def error(fmt: str, status: int, description: str, code: int | None = None) -> HttpResponse:
    """The spec's error body: an array of {code, description} (`<errors><error>…`)."""
    return respond(
        fmt, "errors", [{"code": code or status, "description": description}], status=status
    )

"""Load the IVR menu of 020202 from a JSON file (or write the current one to a file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.contactcenter.ivr import ivr_tree, load_ivr_tree
from ascolto.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Make the IVR menu the one in FILE (JSON: a list of choices with code, label and either "
        "children or transfer; see docs/contact-center.md). Choices not in the file are "
        "deleted; a wrong file changes nothing. With --dump, write the current menu to FILE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dump", action="store_true", help="write the menu to FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if options["dump"]:
            text = json.dumps(ivr_tree(), ensure_ascii=False, indent=2)
            path.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"IVR menu written to {path}.")
            return
        try:
            menu = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} is not JSON: {exc}.") from exc
        try:
            loaded = load_ivr_tree(menu)
        except DomainError as exc:
            raise CommandError(f"{path}: {exc.message} Nothing was changed.") from exc
        self.stdout.write(
            f"IVR menu loaded: {loaded.created} choices created, {loaded.updated} changed, "
            f"{loaded.deleted} deleted."
        )

"""Writes of the console's own data: an operator's saved views and layout of the inbox."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput, NotFound
from ascolto.organisation.models import User
from ascolto.web import inbox_columns
from ascolto.web.models import InboxLayout, SavedView


def save_view(user: User, name: str, query: str) -> SavedView:
    """Save (or replace) `user`'s view `name` with the inbox query string `query`."""
    view, _created = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": query}
    )
    return view


def delete_view(user: User, pk: int) -> SavedView:
    """Delete `user`'s saved view `pk`; another user's view is not found."""
    view = SavedView.objects.filter(pk=pk, user=user).first()
    if view is None:
        raise NotFound(_("Vista salvata inesistente."), field="pk")
    view.delete()
    return view


def save_layout(user: User, columns: list[str], density: str) -> InboxLayout:
    """Store the inbox columns (known keys, in order) and row density `user` chose."""
    known = [key for key in columns if key in inbox_columns.COLUMNS]
    if not known:
        raise InvalidInput(_("Scegli almeno una colonna."), field="columns")
    if density not in inbox_columns.DENSITIES:
        raise InvalidInput(_("Densità non valida."), field="density")
    layout, _created = InboxLayout.objects.update_or_create(
        user=user, defaults={"columns": ",".join(dict.fromkeys(known)), "density": density}
    )
    return layout

"""Writes of the console's own data: an operator's saved views of the inbox."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ascolto.core.errors import NotFound
from ascolto.organisation.models import User
from ascolto.web.models import SavedView


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

"""Signals the citizens app sends to apps above it (receivers listed in docs/architecture.md)."""

from django.dispatch import Signal

# Sent inside the merge transaction with `source` (absorbed) and `target` (kept) citizens and
# `actor` (the user who merged, or None).
citizens_merged = Signal()

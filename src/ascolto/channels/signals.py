"""Signals the channels app sends to apps above it (receivers listed in docs/architecture.md)."""

from django.dispatch import Signal

# Sent by `receive` inside its transaction after a new inbound message is stored, with `message`,
# `conversation`, `conversation_created` and `inbound` (the InboundMessage). The tickets app
# threads the message into a case; its receiver returns the case (or None).
message_received = Signal()

"""Meta's channels: WhatsApp Cloud API, Messenger, Instagram Direct, Facebook and Instagram
comments, all delivered by Meta's webhooks and answered through the Graph API.

- `signature.py`: the webhook's verification handshake and `X-Hub-Signature-256` check;
- `deliveries.py`: a signed delivery accepted into the durable queue as it arrived (one insert),
  and the drain that parses it and hands its messages to intake (`receive_many`) whole;
- `parse.py`: a delivery's body into inbound messages, status updates and comment events
  (WhatsApp through pywa's types, Messenger and Instagram Direct by our own parser);
- `comments.py`: Facebook Page `feed` and Instagram `comments` changes (the social triage queue);
- `graph.py`: the Graph API client (send, templates, interactive messages, read receipts, media,
  comment replies and moderation), its base URL from `ASCOLTO_META_GRAPH_URL`;
- `sandbox.py`: a local HTTP server implementing the Graph endpoints we call, recording what it
  receives (the tests and the demo talk to it instead of Meta);
- `adapter.py`: the outbound adapter of the outbox (`send`).
"""

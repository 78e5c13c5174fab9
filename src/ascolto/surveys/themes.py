"""The theme a free-text answer speaks of, suggested from its words.

The city's one matcher of words to topics is the knowledge base's (`knowledge.actions.
suggest_articles`: the self-help suggestions of the Scrivi form, over titles, keywords and
summaries of the public articles, each filed under a theme of the taxonomy). The theme of the
best article that has one is the suggestion: what a citizen writes in a survey about the
registry office or the TARI finds the articles of those themes, as their request would. No
article, no suggestion: the answer waits for an analyst's tag.
"""

from __future__ import annotations

from ascolto.knowledge.actions import suggest_articles
from ascolto.tickets.models import Theme

CANDIDATES = 3  # the best articles looked at for one with a theme


def suggest_theme(text: str) -> Theme | None:
    for article in suggest_articles(text, limit=CANDIDATES):
        if article.theme is not None:
            return article.theme
    return None

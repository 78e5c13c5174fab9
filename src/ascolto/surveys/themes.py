"""The theme a free-text answer speaks of, suggested from its words, learned from the city's cases.

A comment is filed under a theme only when it uses the theme's own words: the words the city's
citizens use in the cases of that theme and hardly in others'. They are learned from the latest
`TRAINING_CASES` cases with a theme (their subject and description: what the citizen wrote or
the operator logged) and from the taxonomy's names, each case counted under its theme at the
taxonomy's theme level (a topic's case under its theme: a comment is too short to tell «TARI –
rimborso» from «TARI – pagamento», and the analyst's tags are themes too).

A word is a *cue* of a theme when at least `MIN_CASES` cases of the theme use it and its share
of the theme, the themes' sizes evened out, is at least `CUE_SHARE`: among the cases that use
it, a theme's cases weigh by the share of that theme's cases that use it, so a surge of one
theme (a TARI campaign) does not make the words every case uses TARI words. Function words and the
words of the contact itself (`STOPWORDS`: the answer, the wait, the operator, thanks) are never
cues. A comment gets the theme its cues point to when they point to one theme clearly (its
cues weigh at least `CLEAR` times those of any other); a comment with no cue (thanks, a wait,
a kind operator) or with cues of several themes gets none and waits for an analyst. Measured in
`tests/surveys/test_comment_themes.py`; decision 0035, `docs/surveys-results.md`.

A response after a case (or a service) knows that case's theme: it never suggests a theme by
itself (a comment on the operator's kindness is not about the TARI), but when the comment has
cues and some of them point to the case's theme (weighing at least `CASE_THEME` of the best),
the case's theme is the one suggested.

The cues are learned in the process that suggests (the analyst's "suggest" button, the demo),
never at a web worker's start, and kept per process (`_kept`, one set) for `KEEP_SECONDS`.
Pure Python, no numerics library: a web worker that suggests stays lean.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from django.db import router

from ascolto.core.memo import Kept
from ascolto.tickets.models import Theme, Ticket

TRAINING_CASES = 20_000  # the latest cases with a theme that the cues are learned from
TEXT_CHARS = 1_000  # of each case's text: a long email says its subject early
MIN_CASES = 3  # cases of a theme using a word, for the word to be its cue
CUE_SHARE = 0.6  # the word's share of the theme, the themes' sizes evened out
CLEAR = 2.0  # the suggested theme's cues weigh this many times any other theme's
CASE_THEME = 0.5  # the case's theme wins with half the best weight
KEEP_SECONDS = 3600

# Words that never tell a theme: Italian function words, the forms of the common verbs,
# greetings and adverbs (a theme's cases may use them more by chance); and the words of the
# contact itself (the answer, the wait, the operator, the phone, thanks, what arrived or is
# stuck), which is what a survey comment speaks of when it speaks of no subject. The rest is
# left to the cases.
STOPWORDS = frozenset(
    """
    alla alle allo anche ancora che chi con dal dai dalla dalle degli dei del della delle dello
    gli per piu gia non una uno sono sia suo sua suoi loro mio mia miei mie nostro nostra
    vostro vostra questo questa questi queste quello quella quelli quelle come cosa dove
    quando quanto perche poi ogni tutto tutti tutte nel nella nelle nello negli sul sulla
    sulle sullo sui tra fra qui qua cui chi altro altra altri altre stesso stessa invece pero
    mai sempre spesso adesso ora oggi ieri domani sera mattina dopo prima subito ancora gia
    fino presso senza dentro fuori sopra sotto molto poco troppo tanto bene male cosi solo
    qualcuno qualcosa nessuno niente nulla ecco salve buongiorno buonasera grazie gentile
    gentili prego cordiali saluti essere sono sei siamo siete era erano stato stata stati
    state sara sarebbe avere ho hai abbiamo avete hanno avuto aveva avevo avevano avrei
    fare fatto fatta faccio fate fanno dovere devo deve dovuto dovrei potere posso puo
    possiamo potete potuto potrei volere voglio vorrei volevo stare sto sta stanno viene
    vengono venire andare vado sapere saputo capito capire dire detto chiesto chiedere
    risposta risposte rispondere risposto operatore operatrice operatori telefono telefonata
    chiamata chiamato chiamare richiamato richiamare attesa aspettato aspettare tempo tempi
    giorno giorni settimana settimane mese mesi anno anni volta volte scritto scrivere
    scrivo email mail messaggio messaggi servizio servizi problema problemi richiesta
    richieste pratica pratiche cortese cortesia veloce lento lenta chiaro chiara chiari
    ottimo ottima pessimo pessima buono buona brava bravo complimenti disponibile
    arrivato arrivata arrivati arrivate arrivare ricevuto ricevuta ricevere inviato inviata
    inviare mandato mandata indicato indicata fermo ferma alto alta basso bassa nuovo nuova
    contro
    """.split()
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stems(text: str) -> set[str]:
    """The words of `text` that may carry a theme, without accents and final vowels
    («multe» and «multa» are one word, «rifiuti» and «rifiuto» too)."""
    found: set[str] = set()
    for word in re.findall(r"[^\W\d_]{3,}", _fold(text)):
        if word in STOPWORDS:
            continue
        found.add(word[:-1] if len(word) >= 4 and word[-1] in "aeiou" else word)
    return found


@dataclass(frozen=True)
class Cues:
    """The cue words of each theme: word → (theme id, share)."""

    words: dict[str, tuple[int, float]]

    def weights(self, text: str) -> dict[int, float]:
        """The weight of each theme's cues in `text`."""
        weights: dict[int, float] = defaultdict(float)
        for stem in stems(text):
            cue = self.words.get(stem)
            if cue is not None:
                weights[cue[0]] += cue[1]
        return dict(weights)

    def theme_of(self, text: str, case_theme: int | None = None) -> int | None:
        """The theme id the text speaks of, or None (see the module's rule)."""
        weights = self.weights(text)
        if not weights:
            return None
        ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
        best, weight = ranked[0]
        if case_theme is not None and weights.get(case_theme, 0.0) >= CASE_THEME * weight:
            return case_theme
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        return best if weight >= CLEAR * runner_up else None


def learn(cases: Iterable[tuple[int, str]]) -> Cues:
    """The cues of the themes of `cases` (theme id, text)."""
    size: Counter[int] = Counter()
    uses: dict[str, Counter[int]] = defaultdict(Counter)
    for theme, text in cases:
        size[theme] += 1
        for stem in stems(text):
            uses[stem][theme] += 1
    words: dict[str, tuple[int, float]] = {}
    for stem, by_theme in uses.items():
        rates = {theme: n / size[theme] for theme, n in by_theme.items()}
        theme, rate = max(rates.items(), key=lambda item: (item[1], -item[0]))
        share = rate / sum(rates.values())
        if by_theme[theme] >= MIN_CASES and share >= CUE_SHARE:
            words[stem] = (theme, share)
    return Cues(words)


def _theme_level() -> dict[int, int]:
    """Each active theme or topic → its active theme (level 2); areas have none."""
    rows = {
        pk: (parent, level, active)
        for pk, parent, level, active in Theme.objects.values_list(
            "pk", "parent_id", "level", "is_active"
        )
    }
    out: dict[int, int] = {}
    for pk, (parent, level, _active) in rows.items():
        node = parent if level == Theme.Level.TOPIC else pk
        if level != Theme.Level.AREA and node is not None and rows[node][2]:
            out[pk] = node
    return out


def _names(level: dict[int, int]) -> list[tuple[int, str]]:
    """Each active theme's name with its topics' names: the city's own words for it, counted
    as `MIN_CASES` cases, so a word of a theme's name is its cue unless other themes' cases
    use it too, and a theme with no case yet has its name's words."""
    names: dict[int, list[str]] = defaultdict(list)
    for pk, name in Theme.objects.filter(is_active=True).values_list("pk", "name"):
        if pk in level:
            names[level[pk]].append(name)
    return [(theme, " ".join(words)) for theme, words in names.items()] * MIN_CASES


def _read_cues() -> Cues:
    level = _theme_level()
    cases = (
        Ticket.objects.filter(theme__isnull=False)
        .order_by("-pk")
        .values_list("theme_id", "subject", "description")[:TRAINING_CASES]
    )
    return learn(
        chain(
            _names(level),
            (
                (level[theme], f"{subject}\n{description[:TEXT_CHARS]}")
                for theme, subject, description in cases
                if theme in level
            ),
        )
    )


_kept: Kept[str, Cues] = Kept(KEEP_SECONDS, most=1)


def cues() -> Cues:
    """The cues learned from the latest cases, kept `KEEP_SECONDS`: a city's cases arrive every
    minute, and a few more of `TRAINING_CASES` change no cue, so they are not learned again for
    each (nor is the cases' table counted to tell)."""
    return _kept.get(router.db_for_read(Ticket), _read_cues)


def forget() -> None:
    """Learn the cues again at the next suggestion."""
    _kept.forget()


def suggest_themes(texts: Iterable[tuple[str, int | None]]) -> list[int | None]:
    """The theme id each text speaks of, or None; with each text, the id of the theme of the
    case (or service) the answer came after, if any."""
    level = _theme_level()
    learned = cues()
    return [
        learned.theme_of(text, level.get(case_theme) if case_theme is not None else None)
        for text, case_theme in texts
    ]


def suggest_theme(text: str, case_theme: Theme | None = None) -> Theme | None:
    """The theme `text` speaks of, or None (`suggest_themes` for one text)."""
    [found] = suggest_themes([(text, case_theme.pk if case_theme is not None else None)])
    return Theme.objects.filter(pk=found).first() if found is not None else None

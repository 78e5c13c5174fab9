"""Import of a large questionnaire's answers from the file a survey tool exports: LimeSurvey
(CSV, headings as question codes or full texts, answers as codes or full labels, a multiple
choice as one column per option marked "Y"/"Sì"), Google Forms (CSV from "Scarica le risposte",
UTF-8, comma, a checkbox answer as its labels joined by ", "), Microsoft Forms (XLSX, a
multiple choice as its labels joined by ";" with a trailing ";"), or any spreadsheet saved by
the Italian Excel (CSV with ";" and often Windows-1252). See docs/questionnaires.md.

Three steps, the same for the console page and the demo:

1. `read_file(path, name)`: the header and the rows (encoding and delimiter guessed);
2. `propose_mapping(version, headers)`: each column matched to a question by code or text
   (case, accents and punctuation forgiven), or to one option of a multiple choice, or to the
   respondent's id or the date; the analyst edits it;
3. `import_answers(survey, path, name, mapping=...)`: every row checked; accepted rows become
   `Response` (source import) and `Answer` rows in bulk, in one transaction: a file that cannot
   be read leaves nothing behind. Refused rows are kept in the `QuestionnaireImport` with their
   number (the file's line, header = 1) and why.

A mapping is {column header: target}; a target is a question code, `code=value` (the column is
the option `value` of multiple-choice `code`: a cell other than empty, "N", "No", "N/A" or "0"
chooses it), `@id` (the respondent's id, for duplicates), `@date` (when they answered) or ""
(ignored).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput
from ascolto.surveys.models import (
    Answer,
    Question,
    QuestionnaireImport,
    Response,
    Survey,
    SurveyVersion,
)

RESPONDENT_ID = "@id"
SUBMITTED = "@date"
# The columns the tools write besides the questions (docs/questionnaires.md, "What each tool
# exports", says where each name comes from). Compared folded (see `fold`).
ID_HEADERS = {
    "id",  # LimeSurvey (question codes), Microsoft Forms
    "response id",  # LimeSurvey (full question text), English
    "id risposta",  # LimeSurvey, Italian
    "respondent id",
    "responseid",
}
DATE_HEADERS = {
    "submitdate",  # LimeSurvey (question codes): empty while unfinished
    "date submitted",  # LimeSurvey (full question text), English
    "data invio",  # LimeSurvey, Italian
    "data di invio",
    "timestamp",  # Google Forms, English
    "informazioni cronologiche",  # Google Forms, Italian
    "completion time",  # Microsoft Forms, English
    "ora di completamento",  # Microsoft Forms, Italian
    "data",
}
# Columns of the tools that are no answer and no date of submission: ignored even when a
# question's code happens to begin the same way. Personal data (email, name, IP address) is
# never imported: imported answers are anonymous.
IGNORED_HEADERS = {
    # LimeSurvey: codes, then full texts in English and Italian
    "lastpage",
    "startlanguage",
    "seed",
    "token",
    "startdate",
    "datestamp",
    "ipaddr",
    "refurl",
    "last page",
    "start language",
    "access code",
    "date started",
    "date last action",
    "ip address",
    "referrer url",
    "ultima pagina",
    "lingua iniziale",
    "lingua di partenza",
    "seme",
    "codice di accesso",
    "data di inizio",
    "data ultima azione",
    "data dell ultima azione",
    "indirizzo ip",
    "url di provenienza",
    "url di riferimento",
    # Google Forms
    "email address",
    "indirizzo email",
    "score",
    "punteggio",
    # Microsoft Forms
    "start time",
    "ora di inizio",
    "email",
    "posta elettronica",
    "name",
    "nome",
    "last modified time",
    "ora dell ultima modifica",
    "total points",
    "punti totali",
    "quiz feedback",
    "feedback sul quiz",
    "grade posted time",
}
# Marks of an option not chosen in a one-column-per-option multiple choice: LimeSurvey writes
# "Y" or "" with answer codes, "Yes"/"No" (Italian "Sì"/"No") with full answers and "N/A"
# when the question was not shown; its "Convert N to" option writes any one character.
NOT_CHOSEN = {"", "n", "no", "0", "false", "falso", "non selezionato", "not selected", "n a", "n d"}
# What the tools write for an "Other" answer: LimeSurvey's answer code "-oth-", its full answer
# "Other"/"Altro"; an option of the survey with one of these values or labels takes it.
OTHER = {"oth", "other", "altro", "altri", "altra", "altre"}
YES = {"y", "yes", "si"}
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %I:%M:%S %p",
    "%d/%m/%Y %H.%M.%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
)
BATCH = 2000  # responses per INSERT
CLOSED = (
    Question.Kind.RATING,
    Question.Kind.NPS,
    Question.Kind.SCALE,
    Question.Kind.MULTIPLE,
    Question.Kind.SINGLE,
)
OLDEST = 120  # an age above is a typing error, not a respondent
ANALYZE_AFTER = 1000  # responses imported from which the tables' statistics are refreshed


class Reason:
    """Why a row is refused (the codes kept in `QuestionnaireImport.refusals`)."""

    MISSING_REQUIRED = "missing_required"
    NOT_A_CHOICE = "not_a_choice"
    NOT_A_NUMBER = "not_a_number"
    BAD_DATE = "bad_date"
    DUPLICATE = "duplicate"
    BAD_AGE = "bad_age"
    EMPTY = "empty"


@dataclass
class SourceFile:
    """A file's header and its rows as (line number, cells), read lazily."""

    headers: list[str]
    rows: Iterable[tuple[int, list[Any]]]


@dataclass
class _Rejected(Exception):
    reason: str
    message: str


@dataclass
class ImportReport:
    """What an import did, for the page and the command."""

    run: QuestionnaireImport
    refusals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.run.accepted

    @property
    def rows(self) -> int:
        return self.run.rows


# --- Reading ------------------------------------------------------------------------------------


def read_file(path: Path | str, name: str = "") -> SourceFile:
    """The header and the rows of a CSV or XLSX file, by the extension of `name`."""
    suffix = Path(name or str(path)).suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(Path(path))
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(Path(path))
    raise InvalidInput(_("Il file deve essere CSV o XLSX."), field="file")


def _decode(raw: bytes) -> str:
    """The text of a CSV as the tools write it: UTF-8 with or without BOM (LimeSurvey, Google
    Forms), UTF-16 with BOM (Excel's "Unicode text"), else Windows-1252 (the Italian Excel's
    "CSV (separato dal separatore di elenco)")."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> SourceFile:
    text = _decode(path.read_bytes())
    # The separator that cuts the header into the most columns, read as CSV: LimeSurvey quotes
    # every heading, and a full question text has commas of its own in a ";" file.
    first = text.split("\n", 1)[0]
    delimiter = max(
        ",;\t", key=lambda d: (len(next(csv.reader([first], delimiter=d))), first.count(d))
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InvalidInput(
            _("Il file non è un CSV leggibile: %(reason)s") % {"reason": exc}
        ) from exc
    if not any(headers):
        raise InvalidInput(_("Il file è vuoto o non ha la riga di intestazione."), field="file")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for values in reader:
                if any(v.strip() for v in values):
                    yield reader.line_num, values
        except csv.Error as exc:
            raise InvalidInput(
                _("Il file non è un CSV leggibile: %(reason)s") % {"reason": exc}
            ) from exc

    return SourceFile(headers, rows())


def _read_xlsx(path: Path) -> SourceFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidInput(_("Il file non è una cartella di lavoro XLSX leggibile.")) from exc
    cells = book.worksheets[0].iter_rows(values_only=True)
    headers = [str(h or "").strip() for h in next(cells, ())]
    if not any(headers):
        book.close()
        raise InvalidInput(_("Il file è vuoto o non ha la riga di intestazione."), field="file")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for line, values in enumerate(cells, start=2):
                if any(v not in (None, "") for v in values):
                    yield line, list(values)
        finally:
            book.close()

    return SourceFile(headers, rows())


# --- Mapping ------------------------------------------------------------------------------------


def fold(text: Any) -> str:
    """`text` compared loosely: lower case, no accents, punctuation as single spaces."""
    return _fold(str(text or ""))


@lru_cache(maxsize=65536)  # a file repeats its cells ("Donna", "Municipio 3") thousands of times
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9+<>]+", " ", text.lower()).split())


def _choice_keys(question: Question) -> dict[str, str]:
    """Each way a file may write an option (value, Italian or English label) → its value. An
    option "Altro"/"Other" is also every way the tools write it (LimeSurvey's "-oth-", its
    "Q5[other]" column), and `OTHER_KEY` names it."""
    keys: dict[str, str] = {}
    for choice in question.choices or []:
        value = str(choice.get("value", ""))
        texts = [fold(t) for t in (value, choice.get("label", ""), choice.get("label_en", ""))]
        if any(t in OTHER for t in texts):
            texts += [*sorted(OTHER), OTHER_KEY]
        # LimeSurvey's Yes/No question writes "Y"/"N" (answer codes) or "Yes"/"Sì"/"No".
        if any(t in YES for t in texts):
            texts += sorted(YES)
        if "no" in texts:
            texts.append("n")
        for text in texts:
            if text:
                keys.setdefault(text, value)
    return keys


OTHER_KEY = "\x00other"  # never the fold of a cell


def _other(keys: dict[str, str], cell: str) -> str | None:
    """The option "Altro" for a text that is none of the options: Google Forms and Microsoft
    Forms write an "Other" answer as the respondent's own words, in place of a label."""
    return keys.get(OTHER_KEY) if cell.strip() else None


def propose_mapping(version: SurveyVersion, headers: Sequence[str]) -> dict[str, str]:
    """A target for every column: the question whose code or text the header is (LimeSurvey's
    "Q5", "Q5. Quanto è soddisfatto…" or the text alone), the option of a multiple choice when
    the header names one ("Q5[SQ001]", "Q5_SQ001", "Q5 [Traffico]", "Quali motivi? [Traffico]",
    LimeSurvey's "Q5[SQ001]. Quali motivi? [Traffico]"), the respondent's id or the date; ""
    when nothing fits or the column is one the tools add that is no answer (IGNORED_HEADERS)."""
    questions = list(version.questions.all())
    match = _Matcher(
        questions,
        by_code={fold(q.code): q for q in questions},
        by_text={fold(q.text): q for q in questions}
        | {fold(q.text_en): q for q in questions if q.text_en},
    )
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        # LimeSurvey's "Question code & question text" headings are "code. text" (the
        # export's "Code/text separator", ". " unless changed): the code decides when it is
        # one, the whole heading or its text otherwise.
        parts = re.match(r"^(\S+?)\.\s+(.+)$", str(header).strip())
        found = match(parts.group(1), texts=False) if parts else None
        if found is None:
            found = match(str(header))
        if found is None and parts:
            found = match(parts.group(2))
        target = found or ""
        if target and target in taken and target not in (RESPONDENT_ID, SUBMITTED):
            target = ""  # a second column for the same question is the analyst's call
        if target:
            taken.add(target)
        mapping[str(header)] = target
    return mapping


@dataclass
class _Matcher:
    """The target of one heading (or one part of it) among the version's questions."""

    questions: list[Question]
    by_code: dict[str, Question]
    by_text: dict[str, Question]

    def __call__(self, header: str, *, texts: bool = True) -> str | None:
        """The target, "" for a column known to hold no answer, None when nothing fits."""
        key = fold(header)
        option = re.match(r"^(.*?)\s*\[(.+)\]\s*$", header)
        # LimeSurvey with "Use ExpressionScript code" writes a subquestion "Q5_SQ001".
        em_code = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)_([A-Za-z0-9]+)", header.strip())
        for found in (option, em_code):
            if found is None:
                continue
            owner = fold(found.group(1))
            question = self.by_code.get(owner) or (self.by_text.get(owner) if texts else None)
            if question is not None and question.kind == Question.Kind.MULTIPLE:
                inner = fold(found.group(2))
                value = _choice_keys(question).get(inner) or _option_by_position(question, inner)
                if value is not None:
                    return f"{question.code}={value}"
                if inner in OTHER or inner == "comment":
                    return ""  # LimeSurvey's "Q5[other]" text and "Q5[comment]": not options
        if key in self.by_code:
            return self.by_code[key].code
        if texts and key in self.by_text:
            return self.by_text[key].code
        if key in ID_HEADERS:
            return RESPONDENT_ID
        if key in DATE_HEADERS:
            return SUBMITTED
        if key in IGNORED_HEADERS:
            return ""
        return (_by_prefix(key, self.questions) or None) if texts else None


def _option_by_position(question: Question, inner: str) -> str | None:
    """LimeSurvey's default subquestion codes SQ001, SQ002… name the options by position."""
    found = re.fullmatch(r"sq0*(\d+)", inner)
    choices = question.choices or []
    if found and 0 < int(found.group(1)) <= len(choices):
        return str(choices[int(found.group(1)) - 1].get("value", ""))
    return None


def _by_prefix(key: str, questions: Sequence[Question]) -> str:
    """A header that begins with a question's code and a separator ("Q3. Il testo", "q3 - …")."""
    for question in questions:
        code = fold(question.code)
        if code and key.startswith(code + " ") and len(key) > len(code) + 3:
            return question.code
    return ""


# --- Values -------------------------------------------------------------------------------------


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _number(question: Question, cell: str) -> int:
    low, high = _bounds(question)
    try:
        value = float(cell.replace(",", "."))
    except ValueError:
        found = re.match(r"^\s*(\d+)", cell)  # "5 - Molto soddisfatto", "4 stelle"
        if not found:
            value = float("nan")
        else:
            value = float(found.group(1))
    if not (value == value and value.is_integer() and low <= value <= high):
        raise _Rejected(
            Reason.NOT_A_NUMBER,
            _("«%(value)s» non è un numero da %(low)d a %(high)d per la domanda %(code)s.")
            % {"value": cell[:60], "low": low, "high": high, "code": question.code},
        )
    return int(value)


def _bounds(question: Question) -> tuple[int, int]:
    if question.kind == Question.Kind.RATING:
        return 1, 5
    if question.kind == Question.Kind.NPS:
        return 0, 10
    low = question.scale_min if question.scale_min is not None else 1
    high = question.scale_max if question.scale_max is not None else 5
    return low, high


def _choice(question: Question, keys: dict[str, str], cell: str) -> str:
    value = keys.get(fold(cell))
    if value is None:
        value = _other(keys, cell)
    if value is None:
        raise _Rejected(
            Reason.NOT_A_CHOICE,
            _("«%(value)s» non è tra le opzioni della domanda %(code)s.")
            % {"value": cell[:60], "code": question.code},
        )
    return value


def _choices(question: Question, keys: dict[str, str], cell: str) -> list[str]:
    """A multiple choice written in one cell: Microsoft Forms joins the labels with ";" (and
    ends with one), Google Forms with ", ". A label that has a comma itself ("Costo della vita,
    casa") is found by taking, at each step, the longest run of pieces that is an option."""
    chosen: list[str] = []
    for part in (p.strip() for p in cell.split(";")):
        if not part:
            continue
        pieces = [p.strip() for p in part.split(",")]
        start = 0
        while start < len(pieces):
            for end in range(len(pieces), start, -1):
                value = keys.get(fold(",".join(pieces[start:end])))
                if value is not None:
                    chosen.append(value)
                    start = end
                    break
            else:
                # raises, naming the piece, unless the question has an "Other" option
                chosen.append(_choice(question, keys, pieces[start]))
                start += 1
    return list(dict.fromkeys(chosen))


def age_bands(question: Question) -> list[tuple[int, int, str]]:
    """The age bands of an age question as (lowest, highest, value), from the numbers in each
    option ("18-24", "19–24", "fino a 18", "under 18", "75+", "75 e oltre"): an option with one
    number and a word of "over" reaches the end; one with one number and no such word ends
    where the next band begins."""
    bands: list[tuple[int, int | None, str]] = []
    for choice in question.choices or []:
        value = str(choice.get("value", ""))
        text = fold(f"{value} {choice.get('label', '')}")
        numbers = list(dict.fromkeys(int(n) for n in re.findall(r"\d+", text)))[:2]
        if len(numbers) == 2:
            bands.append((numbers[0], numbers[1], value))
        elif len(numbers) == 1 and re.search(r"\+|oltre|over|piu|and older|e piu", text):
            bands.append((numbers[0], OLDEST, value))
        elif len(numbers) == 1:
            bands.append((0, None, value))
    bands.sort(key=lambda b: b[0])
    closed: list[tuple[int, int, str]] = []
    for i, (low, high, value) in enumerate(bands):
        if high is None:
            high = bands[i + 1][0] - 1 if i + 1 < len(bands) else OLDEST
        closed.append((low, high, value))
    return closed


def _age(
    question: Question, keys: dict[str, str], bands: list[tuple[int, int, str]], cell: str
) -> str:
    value = keys.get(fold(cell))
    if value is not None:
        return value
    if re.fullmatch(r"\d{1,3}([.,]0+)?", cell):
        age = int(float(cell.replace(",", ".")))
        for low, high, band in bands:
            if low <= age <= high:
                return band
    raise _Rejected(
        Reason.BAD_AGE,
        _("«%(value)s» non è un'età né una fascia d'età della domanda %(code)s.")
        % {"value": cell[:60], "code": question.code},
    )


_last_format = [DATE_FORMATS[0]]


ZONE = re.compile(r"\s+(GMT|UTC|CEST|CET)(?:([+-])(\d{1,2})(?::?(\d\d))?)?$", re.IGNORECASE)
ZONE_HOURS = {"gmt": 0, "utc": 0, "cet": 1, "cest": 2}


def parse_date(cell: Any) -> datetime:
    """A date as the tools write it (ISO, Google's "2020/06/15 10:32:11 AM GMT+2", the Italian
    "15/06/2020 10.32.11"); Excel's own dates as they are. A zone written after the time
    ("GMT+2", "CEST") is honoured; a time without one is the city's local time."""
    zone = None
    if isinstance(cell, datetime):
        moment = cell
    elif isinstance(cell, date):
        moment = datetime.combine(cell, time(12))
    else:
        text = str(cell).strip()
        written = ZONE.search(text)
        if written:
            name, sign, hours, minutes = written.groups()
            offset = timedelta(hours=ZONE_HOURS[name.lower()])
            if sign:
                shift = timedelta(hours=int(hours), minutes=int(minutes or 0))
                offset += shift if sign == "+" else -shift
            zone = dt_timezone(offset)
            text = text[: written.start()]
        # A file writes every date the same way: the format that read the last one first.
        for pattern in (_last_format[0], *DATE_FORMATS):
            try:
                moment = datetime.strptime(text, pattern)  # noqa: DTZ007 (made aware below)
                _last_format[0] = pattern
                break
            except ValueError:
                continue
        else:
            raise _Rejected(
                Reason.BAD_DATE,
                _("La data «%(value)s» non è leggibile.") % {"value": str(cell)[:40]},
            )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone) if zone else timezone.make_aware(moment)
    return moment


# --- The import ---------------------------------------------------------------------------------


@dataclass
class _Plan:
    """The mapping resolved against the version's questions, once per file."""

    questions: list[Question]
    columns: dict[str, list[int]]  # question code → column indexes (one, or one per option)
    options: dict[int, str]  # column index → option value, for one-column-per-option
    id_column: int | None
    date_column: int | None
    keys: dict[str, dict[str, str]]
    bands: list[tuple[int, int, str]]
    # question code → {cell: its answers, or why it is refused}: a file writes the same few
    # cells ("Donna", "4", "Traffico;Salute") thousands of times, each read once.
    read: dict[str, dict[str, list[tuple[int | None, str]] | tuple[str, str]]] = field(
        default_factory=dict
    )


def _plan(version: SurveyVersion, headers: Sequence[str], mapping: dict[str, str]) -> _Plan:
    questions = list(version.questions.all())
    by_code = {q.code: q for q in questions}
    columns: dict[str, list[int]] = {}
    options: dict[int, str] = {}
    id_column = date_column = None
    for index, header in enumerate(headers):
        target = (mapping.get(header) or "").strip()
        if not target:
            continue
        if target == RESPONDENT_ID:
            id_column = index
        elif target == SUBMITTED:
            date_column = index
        else:
            code, _sep, option = target.partition("=")
            question = by_code.get(code)
            if question is None:
                raise InvalidInput(
                    _("La colonna «%(column)s» è associata alla domanda %(code)s, che non c'è.")
                    % {"column": header[:60], "code": code},
                    field="mapping",
                )
            if option:
                options[index] = option
            columns.setdefault(code, []).append(index)
    if not columns:
        raise InvalidInput(
            _("Nessuna colonna è associata a una domanda: controlla le associazioni."),
            field="mapping",
        )
    age = next((q for q in questions if q.dimension == Question.Dimension.AGE), None)
    return _Plan(
        questions=questions,
        columns=columns,
        options=options,
        id_column=id_column,
        date_column=date_column,
        keys={q.code: _choice_keys(q) for q in questions},
        bands=age_bands(age) if age else [],
    )


def _row_answers(
    plan: _Plan, cells: list[Any]
) -> tuple[dict[str, list[tuple[int | None, str]]], bool]:
    """The row's answers by question code, as (number, value) pairs, and whether every question
    shown to the respondent was answered. Raises `_Rejected`."""
    answers: dict[str, list[tuple[int | None, str]]] = {}
    complete = True
    width = len(cells)
    for question in plan.questions:
        indexes = plan.columns.get(question.code)
        if question.show_if and not _shown(question, answers):
            continue
        if not indexes:
            continue
        texts = [_text(cells[i]) if i < width else "" for i in indexes]
        pairs: list[tuple[int | None, str]] = []
        if question.kind == Question.Kind.MULTIPLE and indexes[0] in plan.options:
            pairs = [
                (None, plan.options[i])
                for i, t in zip(indexes, texts, strict=True)
                if fold(t) not in NOT_CHOSEN
            ]
        elif texts[0] and question.kind not in CLOSED:
            pairs = [(None, texts[0][:4000])]
        elif texts[0]:
            pairs = _read_cell(plan, question, texts[0])
        if not pairs:
            if question.required:
                raise _Rejected(
                    Reason.MISSING_REQUIRED,
                    _("Manca la risposta obbligatoria alla domanda %(code)s.")
                    % {"code": question.code},
                )
            if question.kind != Question.Kind.TEXT:
                complete = False
            continue
        answers[question.code] = pairs
    if not answers:
        raise _Rejected(Reason.EMPTY, _("La riga non ha risposte."))
    return answers, complete


READ_CELLS = 4096  # distinct cells remembered per question (a closed question has a few dozen)


def _read_cell(plan: _Plan, question: Question, cell: str) -> list[tuple[int | None, str]]:
    """The answers one cell of a closed question gives, read once per distinct cell (the
    list returned is shared by the rows that wrote the same cell: nobody changes it). Raises
    `_Rejected`."""
    read = plan.read.setdefault(question.code, {})
    found = read.get(cell)
    if found is None:
        try:
            found = _read_closed(plan, question, cell)
        except _Rejected as refused:
            found = (refused.reason, refused.message)
        if len(read) < READ_CELLS:
            read[cell] = found
    if isinstance(found, tuple):
        raise _Rejected(*found)
    return found


def _read_closed(plan: _Plan, question: Question, cell: str) -> list[tuple[int | None, str]]:
    keys = plan.keys[question.code]
    if question.kind in (Question.Kind.RATING, Question.Kind.NPS, Question.Kind.SCALE):
        if question.choices and fold(cell) in keys:
            return [(int(keys[fold(cell)]), "")]
        return [(_number(question, cell), "")]
    if question.kind == Question.Kind.MULTIPLE:
        return [(None, v) for v in _choices(question, keys, cell)]
    if question.dimension == Question.Dimension.AGE:
        return [(None, _age(question, keys, plan.bands, cell))]
    return [(None, _choice(question, keys, cell))]


def _shown(question: Question, answers: dict[str, list[tuple[int | None, str]]]) -> bool:
    given = answers.get(question.show_if, [])
    wanted = {str(v) for v in question.show_if_values or []}
    return any((str(n) if n is not None else v) in wanted for n, v in given)


@transaction.atomic
def import_answers(
    survey: Survey,
    path: Path | str,
    name: str = "",
    *,
    mapping: dict[str, str] | None = None,
    user: Any = None,
    version: SurveyVersion | None = None,
) -> ImportReport:
    """Read the file at `path` into `survey`'s version (its current one unless named), with
    `mapping` (or the proposed one). One transaction: an unreadable file writes nothing."""
    version = version or survey.current_version
    if version is None:
        raise InvalidInput(_("Il questionario non ha ancora domande pubblicate."), field="survey")
    source = read_file(path, name)
    mapping = mapping if mapping is not None else propose_mapping(version, source.headers)
    mapping = {h: mapping.get(h, "") for h in source.headers}
    plan = _plan(version, source.headers, mapping)
    run = QuestionnaireImport.objects.create(
        survey=survey,
        file_name=Path(name or str(path)).name[:200],
        mapping=mapping,
        imported_by=user if getattr(user, "pk", None) else None,
    )
    ids = {q.code: q.pk for q in plan.questions}
    csat = next((q.code for q in plan.questions if q.kind == Question.Kind.RATING), None)
    nps = next((q.code for q in plan.questions if q.kind == Question.Kind.NPS), None)
    now = timezone.now()
    refusals: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    pending: list[tuple[Response, dict[str, list[tuple[int | None, str]]]]] = []
    rows = accepted = 0
    for line, cells in source.rows:
        rows += 1
        try:
            respondent = ""
            if plan.id_column is not None and plan.id_column < len(cells):
                respondent = _text(cells[plan.id_column])
                if respondent and respondent in seen:
                    raise _Rejected(
                        Reason.DUPLICATE,
                        _("Il rispondente %(id)s c'è già alla riga %(line)d.")
                        % {"id": respondent[:40], "line": seen[respondent]},
                    )
            submitted, dated = now, plan.date_column is None
            if plan.date_column is not None and plan.date_column < len(cells):
                cell = cells[plan.date_column]
                if _text(cell):
                    submitted, dated = parse_date(cell), True
            answers, complete = _row_answers(plan, cells)
            # LimeSurvey leaves the submission date of an unfinished questionnaire empty.
            complete = complete and dated
        except _Rejected as refused:
            refusals.append({"row": line, "reason": refused.reason, "message": refused.message})
            continue
        if respondent:
            seen[respondent] = line
        accepted += 1
        response = Response(
            survey=survey,
            version=version,
            source=Response.Source.IMPORT,
            language="it",
            complete=complete,
            csat=answers[csat][0][0] if csat in answers else None,
            nps=answers[nps][0][0] if nps in answers else None,
            import_run=run,
            import_row=line,
            submitted_at=submitted,
        )
        pending.append((response, answers))
        if len(pending) >= BATCH:
            _write(pending, ids)
            pending = []
    _write(pending, ids)
    run.rows = rows
    run.accepted = accepted
    run.refusals = refusals
    run.save(update_fields=["rows", "accepted", "refusals"])
    if accepted >= ANALYZE_AFTER and connection.vendor == "postgresql":
        transaction.on_commit(_analyze, robust=True)
    return ImportReport(run=run, refusals=refusals)


def _analyze() -> None:
    """Bring the planner's statistics of the answers up to date after a large import, as
    PostgreSQL advises after a bulk load: autovacuum would in a minute or more (never where it
    is off), and the summary the analyst asks for next is planned on them (470,000 answers that
    the planner takes for a few hundred are grouped by a sort spilled to disk, not a hash)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {quote(Answer._meta.db_table)}, {quote(Response._meta.db_table)}")


def _write(
    pending: list[tuple[Response, dict[str, list[tuple[int | None, str]]]]],
    ids: dict[str, int],
) -> None:
    """The batch's responses with `bulk_create` (which gives back their ids), then their
    answers without model instances: on PostgreSQL streamed by COPY, on SQLite by one
    `executemany`. Not as multi-row INSERTs: psycopg splits a statement at each of its
    placeholders, and 470,000 answers are two million of them (a minute of the client's time
    for 10,000 questionnaires); nor as 470,000 `Answer` instances, whose making and preparing
    costs several times the database's work."""
    if not pending:
        return
    Response.objects.bulk_create([response for response, _answers in pending])  # sets pk
    rows = [
        (response.pk, ids[code], number, value, False)
        for response, answers in pending
        for code, pairs in answers.items()
        for number, value in pairs
    ]
    table = connection.ops.quote_name(Answer._meta.db_table)
    columns = "response_id, question_id, number, value, theme_suggested"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
                rows,
            )

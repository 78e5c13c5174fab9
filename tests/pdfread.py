"""Just enough of a PDF reader for the tests of the report PDF (no PDF library is a dependency):
the objects, including those packed in object streams, the Flate-decoded streams, the text of
each page through its fonts' ToUnicode maps, and the structure elements of a tagged PDF. It reads
what WeasyPrint writes (Type0 fonts with 2-byte codes, `[<hex> n <hex>] TJ`); anything else fails
loudly rather than being guessed."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

OBJECT = re.compile(rb"(?<![0-9])(\d+) 0 obj\s*(<<.*?>>)\s*(stream\r?\n|endobj)", re.S)
REF = rb"(\d+) 0 R"


@dataclass
class Pdf:
    data: bytes
    objects: dict[int, bytes] = field(default_factory=dict)  # the dictionary (or value) of each
    streams: dict[int, bytes] = field(default_factory=dict)  # decoded

    def __post_init__(self) -> None:
        assert self.data.startswith(b"%PDF-"), "not a PDF"
        for match in OBJECT.finditer(self.data):
            number, head = int(match.group(1)), match.group(2)
            self.objects[number] = head
            if match.group(3).startswith(b"stream"):
                length = int(_get(head, b"Length"))
                raw = self.data[match.end() : match.end() + length]
                self.streams[number] = zlib.decompress(raw) if b"/FlateDecode" in head else raw
        for number, head in list(self.objects.items()):
            if b"/Type /ObjStm" in head:
                self._unpack(self.streams[number], int(_get(head, b"First")))

    def _unpack(self, stream: bytes, first: int) -> None:
        header = stream[:first].split()
        pairs = [(int(n), int(offset)) for n, offset in zip(header[::2], header[1::2], strict=True)]
        for k, (number, offset) in enumerate(pairs):
            end = pairs[k + 1][1] if k + 1 < len(pairs) else len(stream) - first
            self.objects[number] = stream[first + offset : first + end].strip()

    # The document.

    @property
    def catalog(self) -> bytes:
        return next(o for o in self.objects.values() if b"/Type /Catalog" in o)

    def info(self) -> bytes:
        trailer = re.findall(rb"/Info " + REF, self.data)
        assert trailer, "no /Info"
        return self.objects[int(trailer[-1])]

    def pages(self) -> list[int]:
        root = self.objects[int(_get(self.catalog, b"Pages").split()[0])]
        kids = re.search(rb"/Kids \[(.*?)\]", root, re.S)
        assert kids is not None and b"/Type /Pages" not in b"".join(
            self.objects[int(n)] for n in re.findall(REF, kids.group(1))
        ), "nested page trees are not read here"
        return [int(n) for n in re.findall(REF, kids.group(1))]

    # Text.

    def page_text(self, page: int) -> str:
        head = self.objects[page]
        contents = self.streams[int(_get(head, b"Contents").split()[0])]
        return self._text(contents, self._fonts(_resolve(self, _get(head, b"Resources"))))

    def text(self) -> list[str]:
        return [self.page_text(page) for page in self.pages()]

    def _fonts(self, resources: bytes) -> dict[bytes, dict[int, str]]:
        font = re.search(rb"/Font\s*(" + REF + rb"|<<.*?>>)", resources, re.S)
        if font is None:
            return {}
        names = _resolve(self, font.group(1))
        maps = {}
        for name, number in re.findall(rb"/([A-Za-z0-9_.+-]+) " + REF, names):
            to_unicode = _get(self.objects[int(number)], b"ToUnicode").split()[0]
            maps[name] = _cmap(self.streams[int(to_unicode)])
        return maps

    @staticmethod
    def _text(contents: bytes, fonts: dict[bytes, dict[int, str]]) -> str:
        out: list[str] = []
        current: dict[int, str] = {}
        for token in re.finditer(
            rb"/([A-Za-z0-9_.+-]+) [\d.]+ Tf|\[(.*?)\] TJ|<([0-9a-fA-F]*)> Tj|\bET\b",
            contents,
            re.S,
        ):
            if token.group(1) is not None:
                current = fonts[token.group(1)]
            elif token.group(0) == b"ET":
                out.append("\n")
            else:
                for hexa in re.findall(
                    rb"<([0-9a-fA-F]*)>", token.group(2) or b"<" + token.group(3) + b">"
                ):
                    codes = bytes.fromhex(hexa.decode())
                    out.extend(
                        current[int.from_bytes(codes[i : i + 2])] for i in range(0, len(codes), 2)
                    )
        return "".join(out)

    # Structure.

    def struct_elements(self, tag: str | None = None) -> list[bytes]:
        found = [o for o in self.objects.values() if b"/Type /StructElem" in o]
        return [o for o in found if tag is None or re.search(rb"/S /" + tag.encode() + rb"\b", o)]


def _get(head: bytes, key: bytes) -> bytes:
    match = re.search(
        rb"/"
        + key
        + rb"(?![A-Za-z0-9])\s*("
        + REF
        + rb"|<<.*?>>|\[.*?\]|\([^)]*\)|/?[^\s/<>\[\]()]+)",
        head,
        re.S,
    )
    assert match is not None, f"no /{key.decode()} in {head[:120]!r}"
    return match.group(1)


def _resolve(pdf: Pdf, value: bytes) -> bytes:
    ref = re.fullmatch(REF, value.strip())
    return pdf.objects[int(ref.group(1))] if ref else value


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for low, high, start in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first = int.from_bytes(bytes.fromhex(start.decode()))
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def pdf_string(raw: bytes) -> str:
    """A PDF string object's text: a literal `(…)` with its escapes, or UTF-16 hex `<FEFF…>`."""
    raw = raw.strip()
    if raw.startswith(b"<"):
        data = bytes.fromhex(raw[1:-1].decode())
        return (
            data[2:].decode("utf-16-be") if data.startswith(b"\xfe\xff") else data.decode("latin-1")
        )
    assert raw.startswith(b"(") and raw.endswith(b")"), raw[:40]
    body = re.sub(rb"\\([\\()])", rb"\1", raw[1:-1])
    return body.decode("latin-1")


def string_value(head: bytes, key: str) -> str | None:
    """The string under `/key` in an object's dictionary (a literal with escaped parentheses or
    a hex string), or None."""
    match = re.search(
        rb"/" + key.encode() + rb"\s*(\((?:\\.|[^\\)])*\)|<[0-9a-fA-F]*>)", head, re.S
    )
    return pdf_string(match.group(1)) if match else None

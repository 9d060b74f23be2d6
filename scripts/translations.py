#!/usr/bin/env python3
"""The translations: gettext catalogs for the program's messages, the notebooks and the docs (Babel reads and writes
them all).

    python scripts/translations.py update                 # after an English change: every catalog takes it in
    python scripts/translations.py update 05_replay_and_lifecycle --lang ja   # start (or update) one notebook's
    python scripts/translations.py compile                # .po -> .mo for the program's messages
    python scripts/translations.py check                  # what is stale, missing or out of date (exit 1 if any)
    python scripts/translations.py docs                   # write README.ja.md, docs/presenter.ja.md from their catalogs
    python scripts/translations.py status                 # how much of each notebook is translated

Three kinds of catalog, one format (PO, the gettext standard: Poedit, Weblate and every translator's tool read it):

* **Program messages** (``locale/<lang>/LC_MESSAGES/workshop.po``): what ``workshop.py``, ``helpers/doctor.py``,
  the dashboard, the checks' framework and the notebook generator say, marked ``_()`` / ``N_()`` in the code and
  extracted as ``babel.cfg`` says into ``locale/workshop.pot``. ``helpers/i18n.py`` reads the compiled ``.mo``.
* **Notebooks** (``locale/<lang>/notebooks/NN_name.po``): one entry per unit of an English solution: a markdown
  paragraph (a list item, a table row), the header, and in code cells each comment, each string printed, each
  exercise's title, hints and near-answers. The ``msgid`` is the English itself, its cell in the ``#:`` line;
  ``scripts/make_notebooks.py`` writes ``solutions/<lang>/`` and ``notebooks/<lang>/`` from the English solutions and
  these catalogs, so the code is the English code, strings and comments apart.
* **Docs** (``locale/<lang>/docs/README.po``, ``presenter.po``): the same units, for ``README.<lang>.md`` and
  ``docs/presenter.<lang>.md``; fenced code is copied, never translated, so the commands are the English ones.

An English unit that changed no longer finds its entry: it is **stale** (its old translation is the closest entry,
shown with a diff of the English) or **missing**. ``update`` merges the English into the catalogs (Babel's
``Catalog.update``): a changed unit keeps its old translation marked ``fuzzy``, with the old English as
``#| msgid``, for the translator to revise; ``check`` and the tests fail, naming the cell, until it is revised and the
``fuzzy`` flag removed. The numbers that ``scripts/estimate_time.py`` writes (a header's minutes, the agenda, the
minute-by-minute) are placeholders in the catalogs and filled from the estimate of the language's own text.
"""
from __future__ import annotations

import argparse
import ast
import copy
import difflib
import importlib
import io
import re
import sys
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from helpers.exercises import BEGIN, END, HINT, MORE, SETS  # noqa: E402  (the markers' grammar, one module)
from helpers.i18n import DOMAIN, LANGUAGES  # noqa: E402  (the program's catalog and languages, one module)

LOCALE = ROOT / "locale"
SOLUTIONS = ROOT / "solutions"
POT = LOCALE / f"{DOMAIN}.pot"
BABEL_CFG = ROOT / "babel.cfg"
#: The languages translated into (English is the source).
EDITIONS = LANGUAGES[1:]
#: English doc -> its translation, per language: README.md -> README.ja.md.
DOCS = {"README.md": "README.{lang}.md", "docs/presenter.md": "docs/presenter.{lang}.md"}
PROJECT = "Ship Your First Managed Agent"
#: A fixed date in every catalog's header: the catalogs are in git, whose history has the dates.
CATALOG_DATE = datetime(2026, 12, 1, tzinfo=timezone.utc)
#: Where a doc's links into the docs lead in each language.
DOCS_URL = "https://platform.claude.com/docs/en/"

FENCE = re.compile(r"^\s*(```|~~~)")
LIST_ITEM = re.compile(r"^(?:[*+-]|\d+[.)])\s")
TABLE_ROW = re.compile(r"^\s*\|")
TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
LINK_TARGET = re.compile(r"(!?\[[^\]]*\])\(([^)\s]*)\)")
URL = re.compile(r"https?://\S+")
TAG = re.compile(r"<[^>]+>")
LETTERS = re.compile(r"[A-Za-z]{2,}")
MAGIC = re.compile(r"^\s*[%!]")
#: Comments that are instructions to a tool, not to a reader.
PRAGMA = re.compile(r"^#\s*(noqa|type:|fmt:|pragma|pylint|ruff:)")
#: A notebook's header paragraph: the numbers scripts/estimate_time.py owns become placeholders.
HEADER = re.compile(r"^\*\*Ship Your First Managed Agent\*\* · notebook ")
SERIES = re.compile(r"notebook (?P<number>\d\d) of (?P<first>\d\d)–(?P<last>\d\d)")
MINUTES = re.compile(r"about (?P<minutes>\d+) minutes")

KIND_NOTES = {
    "markdown": "markdown: a paragraph, list item or table row",
    "header": "the notebook's header; {number}, {first}, {last} and {minutes} are filled in by the generator",
    "title": "an exercise's title (its BEGIN SOLUTION line): the learner's TODO line and its NotImplementedError say it",
    "hint": "an exercise's nudge (a HINT line), one line each",
    "more": "an exercise's near-answer (MORE lines, printed by check.hint): keep the code, translate the words",
    "comment": "a code comment, one line each",
    "print": "a Python string literal that is printed: keep its quotes, prefix and every {field}",
    "docstring": "a function's docstring (a Python string literal): keep its quotes",
    "agenda": "a row of the README's agenda; {minutes} is filled in from the estimate",
    "estimate": "a sentence with a number from scripts/estimate_time.py, filled in as {minutes} / {start} / {end}",
}


class TranslationError(Exception):
    pass


# ============================================================================================ units
@dataclass
class Unit:
    """One translatable piece of an English source: its ``text`` is the catalog's msgid (placeholders in place of the
    numbers the estimate owns); ``start``/``end`` locate it in its cell (or file); ``render`` turns a translation
    back into source text (comment markers, indentation)."""

    kind: str
    text: str
    file: str
    place: int                  # the cell's index (notebooks) or the line number (docs)
    start: int
    end: int
    render: Callable[[str], str] = field(default=lambda text: text, repr=False, compare=False)
    values: dict = field(default_factory=dict, compare=False)   # the English numbers behind the placeholders
    role: str = ""              # a doc's estimate row: the notebook ("02"), "buffer" or "demo"

    @property
    def context(self) -> str | None:
        return None if self.kind == "markdown" else self.kind

    @property
    def notebook(self) -> bool:
        return self.file.endswith(".ipynb")

    @property
    def location(self) -> tuple[str, int | None]:
        """Where the catalog says it comes from: ``05_x.ipynb#c012`` (the cell's id, as make_notebooks.py numbers
        them) or ``README.md:40`` (a line)."""
        return (f"{self.file}#c{self.place:03d}", None) if self.notebook else (self.file, self.place)

    @property
    def where(self) -> str:
        return f"{self.file} cell c{self.place:03d}" if self.notebook else f"{self.file} line {self.place}"


def words_outside_code(text: str) -> bool:
    """Whether ``text`` has words outside fenced code, code spans, links' targets, URLs and tags."""
    prose = "\n".join(line for line, fenced in _fence_flags(text) if not fenced)
    prose = TAG.sub(" ", URL.sub(" ", LINK_TARGET.sub(r"\1", CODE_SPAN.sub(" ", prose))))
    return bool(LETTERS.search(prose))


def _fence_flags(text: str) -> list[tuple[str, bool]]:
    out, fenced = [], False
    for line in text.split("\n"):
        if FENCE.match(line):
            out.append((line, True))
            fenced = not fenced
        else:
            out.append((line, fenced))
    return out


def _line_spans(text: str) -> list[tuple[int, int, str]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line), line))
        pos += len(line) + 1
    return spans


def markdown_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each block: lines between blank lines, a fenced block whole."""
    blocks, start, end, fenced = [], None, None, False
    for a, b, line in _line_spans(text):
        if FENCE.match(line) or fenced or line.strip():
            if FENCE.match(line):
                fenced = not fenced
            start = a if start is None else start
            end = b
        elif start is not None:
            blocks.append((start, end))
            start = None
    if start is not None:
        blocks.append((start, end))
    return blocks


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A block's units: each row of a table, each item of a list, else the block."""
    lines = [(a, b, t) for a, b, t in _line_spans(text) if a >= start and b <= end]
    if all(TABLE_ROW.match(t) for _, _, t in lines):
        return [(a, b) for a, b, t in lines if not TABLE_RULE.match(t)]
    if LIST_ITEM.match(lines[0][2]):
        items: list[list[int]] = []
        for a, b, t in lines:
            if LIST_ITEM.match(t) or not items:
                items.append([a, b])
            else:
                items[-1][1] = b
        return [(a, b) for a, b in items]
    return [(start, end)]


def markdown_units(text: str, file: str, place: int | None = None, header: bool = False) -> list[Unit]:
    """The translatable units of markdown ``text``. ``place``: the cell (notebooks); None: line numbers (docs)."""
    units = []
    for start, end in markdown_blocks(text):
        block = text[start:end]
        if FENCE.match(block.split("\n", 1)[0]) and FENCE.match(block.rsplit("\n", 1)[-1]) and block.count("\n"):
            continue  # a fenced block alone: code, copied as it is
        for a, b in _pieces(text, start, end):
            piece = text[a:b]
            if not words_outside_code(piece):
                continue
            where = place if place is not None else text.count("\n", 0, a) + 1
            kind, msgid, values, role = "markdown", piece, {}, ""
            if header and HEADER.match(piece):
                kind, msgid, values = "header", *mask_header(piece)
            elif place is None:
                kind, msgid, values, role = mask_estimate(piece)
            units.append(Unit(kind, msgid, file, where, a, b, values=values, role=role))
    return units


def mask_header(text: str) -> tuple[str, dict]:
    values: dict = {}
    series = SERIES.search(text)
    if series:
        values.update(series.groupdict())
        text = text[:series.start()] + "notebook {number} of {first}–{last}" + text[series.end():]
    minutes = MINUTES.search(text)
    if minutes:
        values["minutes"] = minutes.group("minutes")
        text = text[:minutes.start()] + "about {minutes} minutes" + text[minutes.end():]
    return text, values


def _estimate_time():
    """scripts/estimate_time.py, a sibling script: the numbers it writes into the docs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        return importlib.import_module("estimate_time")
    finally:
        sys.path.pop(0)


def mask_estimate(text: str) -> tuple[str, str, dict, str]:
    """A doc's paragraph or row with the numbers scripts/estimate_time.py writes as placeholders: (kind, msgid, the
    English numbers, which row); else ("markdown", text, {}, "")."""
    et = _estimate_time()

    row = et.ROW.match(text)
    if row and row.group("num") in et.WORKSHOP_PATH:
        time = row.group("time")
        number = re.search(r"\d+", time)
        if number:
            masked = time[:number.start()] + "{minutes}" + time[number.end():]
            return ("agenda", text[:row.start("time")] + masked + text[row.end("time"):], {"minutes": number.group()},
                    row.group("num"))
    for pattern, role in ((et.SLOT, "slot"), (et.BUFFER, "buffer"), (et.DEMO, "demo")):
        m = pattern.match(text)
        if m:
            role = m.group("num") if role == "slot" else role
            return ("estimate", "| {start}–{end}" + text[m.end("end"):],
                    {"start": m.group("start"), "end": m.group("end")}, role)
    for pattern in (et.TOTAL, et.WORK):
        m = pattern.search(text)
        if m:
            return "estimate", text[:m.start(2)] + "{minutes}" + text[m.end(2):], {"minutes": m.group(2)}, "total"
    return "markdown", text, {}, ""


# ---------------------------------------------------------------------------------------------- code cells
def _offsets(source: str) -> list[int]:
    starts, pos = [], 0
    for line in source.split("\n"):
        starts.append(pos)
        pos += len(line) + 1
    return starts


def _without_magics(source: str) -> str:
    """IPython's magics and shell lines blanked (same length), so the tokenizer and the parser read the rest."""
    return "\n".join(" " * len(line) if MAGIC.match(line) else line for line in source.split("\n"))


def code_units(source: str, file: str, cell: int) -> list[Unit]:
    """The translatable units of a code cell: comments (consecutive full-line ones as one), the string literals passed
    to print(), functions' docstrings, and an exercise's title, hints and near-answers."""
    starts, lines = _offsets(source), source.split("\n")
    units = _marker_units(lines, starts, file, cell)
    taken = {i for i, line in enumerate(lines) if _is_marker(line)}  # the generator's markers are not comments
    units += _comment_units(source, lines, starts, taken, file, cell)
    units += _print_units(source, lines, starts, file, cell)
    units.sort(key=lambda u: u.start)
    for a, b in zip(units, units[1:], strict=False):
        if b.start < a.end:
            raise TranslationError(f"{file} cell {cell}: {a.kind} and {b.kind} overlap; split the line")
    return units


def _is_marker(line: str) -> bool:
    return any(marker.match(line) for marker in (BEGIN, END, HINT, MORE, SETS))


def _marker_units(lines: list[str], starts: list[int], file: str, cell: int) -> list[Unit]:
    units, i = [], 0
    while i < len(lines):
        b = BEGIN.match(lines[i])
        if b and LETTERS.search(b.group("title")):
            a = starts[i] + b.start("title")
            units.append(Unit("title", b.group("title"), file, cell, a, a + len(b.group("title"))))
        for kind, marker in (("hint", HINT), ("more", MORE)):
            m = marker.match(lines[i])
            if not m:
                continue
            j = i
            while j + 1 < len(lines) and marker.match(lines[j + 1]):
                j += 1
            prefix = lines[i][:m.start("text")]
            text = "\n".join(marker.match(lines[k]).group("text") for k in range(i, j + 1))
            units.append(Unit(kind, text, file, cell, starts[i], starts[j] + len(lines[j]),
                              render=lambda t, p=prefix: "\n".join((p + line).rstrip() for line in t.split("\n"))))
            i = j
        i += 1
    return units


def _comment_units(source: str, lines: list[str], starts: list[int], taken: set[int], file: str,
                   cell: int) -> list[Unit]:
    comments = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(_without_magics(source)).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start[0] - 1, tok.start[1]
                if row in taken or PRAGMA.match(tok.string) or not LETTERS.search(tok.string):
                    continue
                comments.append((row, col, lines[row][:col].strip() == "", tok.string))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise TranslationError(f"{file} cell {cell}: cannot read its code ({exc})") from exc
    units: list[Unit] = []
    group: list[tuple[int, int, bool, str]] = []

    def flush() -> None:
        if not group:
            return
        row0, col, _, _ = group[0]
        row1 = group[-1][0]
        text = "\n".join(_comment_text(c[3]) for c in group)
        indent = lines[row0][:col]
        units.append(Unit("comment", text, file, cell, starts[row0] + col, starts[row1] + len(lines[row1]),
                          render=lambda t, ind=indent: ("\n" + ind).join(("# " + line).rstrip() for line in t.split("\n"))))
        group.clear()

    for c in comments:
        row, col, whole_line, _ = c
        if whole_line and group and group[-1][2] and group[-1][0] == row - 1 and group[-1][1] == col:
            group.append(c)
            continue
        flush()
        if whole_line:
            group.append(c)
        else:
            units.append(Unit("comment", _comment_text(c[3]), file, cell, starts[row] + col, starts[row] + len(lines[row]),
                              render=lambda t: "# " + t))
    flush()
    return units


def _comment_text(token: str) -> str:
    text = token[1:]
    return text[1:] if text.startswith(" ") else text


def _print_units(source: str, lines: list[str], starts: list[int], file: str, cell: int) -> list[Unit]:
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError as exc:
        raise TranslationError(f"{file} cell {cell}: cannot parse its code ({exc})") from exc
    units = []
    for node in ast.walk(tree):
        found: list[tuple[str, ast.expr]] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found = [("print", arg) for arg in node.args
                     if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str))]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found = [("docstring", first.value)]
        for kind, arg in found:
            a = starts[arg.lineno - 1] + _chars(lines[arg.lineno - 1], arg.col_offset)
            b = starts[arg.end_lineno - 1] + _chars(lines[arg.end_lineno - 1], arg.end_col_offset)
            if LETTERS.search(literal_words(source[a:b])):
                units.append(Unit(kind, source[a:b], file, cell, a, b))
    return units


def _chars(line: str, byte_col: int) -> int:
    """ast's column (UTF-8 bytes) as a str index."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def literal_words(literal: str) -> str:
    """The words of a string literal's own text (not its replacement fields)."""
    try:
        node = ast.parse(f"(\n{literal}\n)", mode="eval").body
    except SyntaxError:
        return literal
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return ""


def literal_shape(literal: str) -> tuple[str, list[str]]:
    """What a translated literal must keep: its kind (str or f-string) and its replacement fields (any order)."""
    node = ast.parse(f"(\n{literal}\n)", mode="eval").body
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "str", []
    if isinstance(node, ast.JoinedStr):
        return "f-string", sorted(ast.dump(v) for v in node.values if isinstance(v, ast.FormattedValue))
    raise ValueError("not a string literal")


# ------------------------------------------------------------------------------------------------ notebooks
def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def notebook_units(nb: dict, name: str) -> list[Unit]:
    units = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            units += markdown_units(_source(cell), name, index, header=index == 0)
        elif cell["cell_type"] == "code":
            units += code_units(_source(cell), name, index)
    return units


def doc_units(text: str, name: str) -> list[Unit]:
    return markdown_units(text, name)


# ================================================================================================ catalogs
def catalog_path(lang: str, name: str) -> Path:
    """The catalog of a notebook (``05_x`` or ``05_x.ipynb``) or a doc (``README.md``)."""
    stem = Path(name).stem
    folder = "notebooks" if Path(name).suffix in ("", ".ipynb") else "docs"
    return LOCALE / lang / folder / f"{stem}.po"


def new_catalog(lang: str | None = None):
    from babel.messages.catalog import Catalog

    return Catalog(locale=lang, project=PROJECT, version="1", domain=DOMAIN, creation_date=CATALOG_DATE,
                   revision_date=CATALOG_DATE, fuzzy=False, copyright_holder=None,
                   msgid_bugs_address="https://github.com/ (the project's issues)",
                   last_translator="the workshop's translators", language_team=f"{lang or 'LANGUAGE'}")


def template(units: Iterable[Unit]):
    catalog = new_catalog()
    for u in units:
        known = catalog.get(u.text, u.context)
        if known is not None:
            known.locations.append(u.location)
            continue
        flags = ["python-brace-format"] if u.kind in ("header", "agenda", "estimate") else []
        catalog.add(u.text, locations=[u.location], auto_comments=[KIND_NOTES[u.kind]], flags=flags,
                    context=u.context)
    return catalog


def read_catalog(path: Path):
    """A catalog, with the old English of each fuzzy entry (``#| msgid``, which Babel writes but does not read back)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, abort_invalid=True)
    for (msgid, context), previous in _previous_ids(path.read_text(encoding="utf-8")).items():
        message = catalog.get(msgid, context)
        if message is not None and not message.previous_id:
            message.previous_id = [previous]
    return catalog


_PO_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _po_text(parts: list[str]) -> str:
    from babel.messages.pofile import unescape

    return "".join(unescape(f'"{m.group(1)}"') for m in _PO_STRING.finditer(" ".join(parts)))


def _previous_ids(text: str) -> dict[tuple[str, str | None], str]:
    """(msgid, msgctxt) -> the ``#| msgid`` of its entry: Babel's wrapped form (lines cut at spaces) or gettext's."""
    found = {}
    for block in re.split(r"\n\s*\n", text):
        previous: list[str] = []
        parts: dict[str, list[str]] = {}
        key = None
        for line in block.split("\n"):
            if line.startswith("#|"):
                previous.append(line[2:].strip())
            elif line.startswith(("msgctxt ", "msgid ")):
                key, rest = line.split(" ", 1)
                parts[key] = [rest]
            elif line.startswith('"') and key:
                parts[key].append(line)
            else:
                key = None
        if previous and "msgid" in parts:
            old = " ".join(previous)
            old = old[len("msgid "):] if old.startswith("msgid ") else old
            found[(_po_text(parts["msgid"]), _po_text(parts["msgctxt"]) if "msgctxt" in parts else None)] = _po_text([old])
    return found


def write_catalog(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    write_po(out, catalog, width=0, include_previous=True, sort_output=False, ignore_obsolete=True)
    data = out.getvalue()
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def merge(catalog, tmpl, lang: str):
    """The catalog after the English changed (Babel's update: new units empty, changed ones fuzzy with their old
    English as ``#| msgid``, removed ones obsolete); a new catalog when there was none."""
    catalog = catalog if catalog is not None else new_catalog(lang)
    catalog.update(tmpl, update_creation_date=False)
    catalog.revision_date = CATALOG_DATE
    return catalog


def usable(catalog, unit: Unit) -> str | None:
    """The translation of ``unit``, if the catalog has one that is done (not empty, not fuzzy)."""
    message = catalog.get(unit.text, unit.context) if catalog is not None else None
    if message is None or not message.string or message.fuzzy:
        return None
    return message.string


def problems(units: list[Unit], catalog, what: str = "") -> list[str]:
    """Each unit with no usable translation, said as stale (with what changed in the English) or missing."""
    if catalog is None:
        return [f"{what}: has no catalog"]
    wanted = {(u.text, u.context) for u in units}
    spare = {(m.id, m.context): m for m in catalog if m.id and m.string and (m.id, m.context) not in wanted}
    spare.update({(m.id, m.context): m for m in catalog.obsolete.values() if m.string})
    out = []
    for u in units:
        if usable(catalog, u) is not None:
            continue
        message = catalog.get(u.text, u.context)
        if message is not None and message.fuzzy:
            was = (message.previous_id or [""])[0]
            out.append(f"{u.where} ({u.kind}): stale, its English changed since it was translated (fuzzy):\n"
                       + _diff(was, u.text))
            continue
        close = difflib.get_close_matches(u.text, [k[0] for k in spare], n=1, cutoff=0.6)
        if message is None and close:
            out.append(f"{u.where} ({u.kind}): stale, its English changed since it was translated:\n"
                       + _diff(close[0], u.text))
        else:
            out.append(f"{u.where} ({u.kind}): missing, no translation yet:\n    {_short(u.text)}")
    return out


def _short(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _diff(old: str, new: str) -> str:
    a, b = old.split(), new.split()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(f"    {tag}: {_short(' '.join(a[i1:i2]), 70)!r} -> {_short(' '.join(b[j1:j2]), 70)!r}")
    return "\n".join(out[:6]) or "    (whitespace only)"


# ============================================================================================ applying
def rewrite_links(text: str, lang: str, depth: int = 1) -> str:
    """A translated markdown's links: relative ones one level deeper per ``depth`` (``notebooks/ja/`` is one below
    ``notebooks/``), and the docs' English pages as the language's pages."""
    def link(m: re.Match) -> str:
        target = m.group(2)
        if target.startswith(DOCS_URL):
            target = DOCS_URL.replace("/en/", f"/{lang}/") + target[len(DOCS_URL):]
        elif depth and not re.match(r"^([a-z]+:|#|/)", target):
            target = "../" * depth + target
        return f"{m.group(1)}({target})"

    return LINK_TARGET.sub(link, text)


def check_translation(unit: Unit, text: str) -> str | None:
    """What is wrong with ``text`` as the translation of ``unit`` for the generator (None: nothing)."""
    if unit.kind in ("print", "docstring"):
        try:
            if literal_shape(text) != literal_shape(unit.text):
                return "keep the literal's kind (str or f-string) and every {field} of the English"
        except (SyntaxError, ValueError):
            return "write a Python string literal (its quotes included), as the English has"
    if unit.kind == "comment" and "\n" not in unit.text and "\n" in text and not unit.render("x").startswith("# "):
        return "a trailing comment stays on one line"
    if unit.kind in ("header", "agenda", "estimate"):
        for name in unit.values:
            if "{" + name + "}" not in text:
                return f"keep the placeholder {{{name}}}"
    return None


def apply(text: str, units: list[Unit], catalog, values: dict | Callable[[Unit], dict] | None = None,
          link: Callable[[str], str] | None = None) -> tuple[str, list[str]]:
    """``text`` with each unit replaced by its translation; the problems instead when some are missing or stale.
    ``values`` (a dict, or a function of the unit) fills the estimate's placeholders over the unit's English numbers."""
    found = problems(units, catalog)
    if found:
        return text, found
    bad = []
    for u in sorted(units, key=lambda unit: unit.start, reverse=True):
        new = usable(catalog, u)
        wrong = check_translation(u, new)
        if wrong:
            bad.append(f"{u.where} ({u.kind}): {wrong}:\n    {_short(new)}")
            continue
        if u.kind in ("header", "agenda", "estimate"):
            extra = values(u) if callable(values) else values or {}
            new = new.format(**{**{k: str(v) for k, v in u.values.items()}, **extra})
        if link is not None and u.kind in ("markdown", "header", "agenda", "estimate"):
            new = link(new)
        text = text[:u.start] + u.render(new) + text[u.end:]
    return text, bad


def translate_notebook(nb: dict, name: str, lang: str, catalog=None, minutes: int = 0) -> tuple[dict, list[str]]:
    """The English solution ``nb`` in ``lang`` (outputs dropped: the edition's own run gives them), or the problems."""
    catalog = catalog if catalog is not None else load(lang, name)
    if catalog is None:
        return nb, [f"{name}: no catalog {catalog_path(lang, name).relative_to(ROOT)} (start one: "
                    f"scripts/translations.py update {Path(name).stem} --lang {lang})"]
    out = copy.deepcopy(nb)
    found: list[str] = []
    for index, cell in enumerate(out["cells"]):
        source = _source(cell)
        if cell["cell_type"] == "markdown":
            units = markdown_units(source, name, index, header=index == 0)
            new, bad = apply(source, units, catalog, {"minutes": minutes},
                             link=lambda t: rewrite_links(t, lang, depth=1))
        elif cell["cell_type"] == "code":
            new, bad = apply(source, code_units(source, name, index), catalog)
            cell["outputs"], cell["execution_count"] = [], None
        else:
            new, bad = source, []
        cell["source"] = new
        found += bad
    return out, found


def load(lang: str, name: str):
    path = catalog_path(lang, name)
    return read_catalog(path) if path.exists() else None


def translate_doc(english: str, name: str, lang: str, values: Callable[[Unit], dict] | None = None,
                  catalog=None) -> tuple[str, list[str]]:
    """An English doc in ``lang``: its units from the catalog, its code copied; ``values(unit)`` fills the
    estimate's placeholders."""
    catalog = catalog if catalog is not None else load(lang, name)
    if catalog is None:
        return english, [f"{name}: no catalog {catalog_path(lang, name).relative_to(ROOT)}"]
    return apply(english, doc_units(english, name), catalog, values, link=lambda t: rewrite_links(t, lang, depth=0))


# ===================================================================================================== style
@dataclass(frozen=True)
class Term:
    english: str
    japanese: str
    rule: str                   # gloss, plain or keep (locale/<lang>/glossary.csv)
    avoid: tuple[str, ...] = ()
    source: str = ""

    @property
    def pattern(self) -> re.Pattern:
        """The English term, any case (a kept name: as it is written), singular or plural."""
        words = r"[\s-]+".join(re.escape(w) for w in self.english.split())
        if self.rule == "keep":
            return re.compile(rf"(?<![\w-]){words}(?![\w-])")
        plural = words[:-1] + "(?:y|ies)" if words.endswith("y") else words + "(?:s|es)?"
        return re.compile(rf"(?<![\w-]){plural}(?![\w-])", re.I)

    @property
    def gloss(self) -> re.Pattern:
        """How a first use is written: 「permission policy」（パーミッションポリシー）, as the official docs do."""
        return re.compile(rf"「\*?{self.pattern.pattern}\*?」（{re.escape(self.japanese)}）", re.I)


def glossary(lang: str) -> list[Term]:
    """The edition's terms, longest first (so "memory store" is taken before "memory"), a kept name before a term
    spelt the same ("Kernel", the menu, before "kernel")."""
    import csv

    lines = [ln for ln in (LOCALE / lang / "glossary.csv").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    terms = [Term(r["english"], r["japanese"], r["rule"], tuple(a for a in (r["avoid"] or "").split("|") if a),
                  r["source"]) for r in csv.DictReader(lines)]
    bad = [t.english for t in terms if t.rule not in ("gloss", "plain", "keep")]
    if bad:
        raise ValueError(f"glossary.csv: rule must be gloss, plain or keep: {bad}")
    return sorted(terms, key=lambda t: (-len(t.english), t.rule != "keep"))


PROSE_KINDS = ("markdown", "header", "agenda", "estimate")
HEADING = re.compile(r"^#{1,6}\s")
LATIN_WORD = re.compile(r"(?<![\w.@/-])[A-Za-z][A-Za-z'’]+(?![\w.@/-])")
#: Where a sentence of prose may end: です・ます調, the docs' register.
POLITE = re.compile(r"(です|ます|ました|ません|でした|でしょう|ましょう|ください|ませんでした)$")
SENTENCE_END = re.compile(r"[。！？]")


def prose(text: str) -> str:
    """The words a reader reads as prose: no fenced code, code spans, links' targets, URLs, tags, placeholders the
    generator fills ({minutes}) or emphasis marks."""
    text = "\n".join(line for line, fenced in _fence_flags(text) if not fenced and not FENCE.match(line))
    file_name = re.compile(r"\[[A-Za-z0-9_/-]+\.[A-Za-z0-9_./-]+\]")  # [README.md](...): a name, not prose
    text = LINK_TARGET.sub(lambda m: " " if file_name.fullmatch(m.group(1)) else m.group(1).lstrip("!").strip("[]"), text)
    text = re.sub(r"\{\w+\}", " ", TAG.sub(" ", URL.sub(" ", CODE_SPAN.sub(" ", text))))
    return re.sub(r"[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}", "", text)


def code_spans(text: str) -> set[str]:
    """The inline code of ``text``, spaces collapsed (markdown renders them so) and the words of a <placeholder> left
    to the translator (`/mnt/memory/<its name>`)."""
    return {re.sub(r"<[^<>`]*>", "<>", " ".join(m.group(0).split())) for m in CODE_SPAN.finditer(text)}


def style_problems(units: list[Unit], catalog, terms: list[Term]) -> list[str]:
    """Every translated prose unit of one notebook or doc, held to the glossary and the docs' style: each term of the
    English in its Japanese form (the first use in the body glossed), no variant the glossary avoids, every code span
    and fenced block unchanged, Japanese throughout but for code and glossed or kept terms, です・ます調."""
    out, seen = [], set()
    for u in units:
        ja = usable(catalog, u) if catalog is not None else None
        if ja is None:
            continue
        where = f"{u.where} ({u.kind})"
        for span in sorted(code_spans(u.text) - code_spans(ja)):
            if u.kind in PROSE_KINDS or u.kind in ("hint", "more"):
                out.append(f"{where}: the code {span} is not in the translation (code stays as it is)")
        fenced_en = [ln for ln, f in _fence_flags(u.text) if f]
        if fenced_en and fenced_en != [ln for ln, f in _fence_flags(ja) if f]:
            out.append(f"{where}: its fenced code differs from the English")
        if u.kind not in PROSE_KINDS:
            continue
        out += [f"{where}: {p}" for p in _term_problems(u, ja, terms, seen)]
        out += [f"{where}: {p}" for p in _language_problems(ja, terms)]
    return out


def _term_problems(u: Unit, ja: str, terms: list[Term], seen: set) -> list[str]:
    en, jp, out = prose(u.text), prose(ja), []
    body = u.kind != "header" and not HEADING.match(u.text)
    for t in terms:
        found = t.pattern.search(en)
        en = t.pattern.sub(" ", en)
        for variant in t.avoid:
            if variant in jp:
                out.append(f"{variant!r}: the glossary says {t.japanese!r}")
        if not found:
            continue
        if t.rule == "keep":
            if not re.search(re.escape(t.english), jp, re.I):
                out.append(f"{t.english!r} stays {t.english!r}")
            continue
        if t.japanese not in jp:
            out.append(f"{found.group(0)!r} is {t.japanese!r} (locale/ja/glossary.csv)")
        if t.rule == "gloss" and body and t.english not in seen:
            seen.add(t.english)
            if not t.gloss.search(jp):
                out.append(f"the first use of {t.english!r} in the body keeps the English with its gloss: "
                           f"「{t.english}」（{t.japanese}）")
    return out


def _language_problems(ja: str, terms: list[Term]) -> list[str]:
    lead_ins = re.compile(r"\*\*[^*\n]*。\*\*")  # a bold lead-in ("**許可。**") is a title, not a sentence
    rows = "\n".join(line for line in ja.split("\n") if not TABLE_ROW.match(line))  # a table's cells: fragments
    jp, register, out = prose(ja), prose(lead_ins.sub(" ", rows)), []
    for t in terms:
        if t.rule == "gloss":
            jp = t.gloss.sub(" ", jp)
    for t in terms:
        if t.rule == "keep":
            jp = t.pattern.sub(" ", jp)
    latin = sorted(set(LATIN_WORD.findall(jp)))
    if latin:
        out.append(f"English outside code and glossed terms: {', '.join(latin)} (translate it, put code in `backticks`, "
                   "or add a name to the glossary as keep)")
    while True:  # asides and quotes, innermost first, are not where a sentence ends
        inner = re.sub(r"（[^（）]*）|「[^「」]*」|\([^()]*\)", "", register)
        if inner == register:
            break
        register = inner
    for sentence in SENTENCE_END.split(register)[:-1]:
        tail = sentence.strip().rstrip("）」』)]*:： ")
        if tail and not POLITE.search(tail):
            out.append(f"not です・ます調: …{tail[-24:]}。")
    return out


# ======================================================================================== program messages
def extract_messages():
    """The program's messages, as ``pybabel extract -F babel.cfg -k N_ .`` finds them."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with BABEL_CFG.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = new_catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={**DEFAULT_KEYWORDS, "N_": None}, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        flags = ["python-brace-format"] if isinstance(message, str) and re.search(r"\{\w*(![rsa])?(:[^}]*)?\}", message) else []
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context, flags=flags)
    return catalog


def messages_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compiled(po: Path) -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, read_catalog(po), use_fuzzy=False)
    return out.getvalue()


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{[^{}]*\}", text))


def message_problems(lang: str) -> list[str]:
    """The program's catalog: in step with the code, every message translated, its placeholders kept, the .mo fresh."""
    po = messages_path(lang)
    if not po.exists():
        return [f"{po.relative_to(ROOT)} is missing: run scripts/translations.py update"]
    catalog, code = read_catalog(po), extract_messages()
    out = []
    for m in code:
        if not m.id:
            continue
        have = catalog.get(m.id, m.context)
        where = ", ".join(f"{f}:{n}" for f, n in m.locations[:2])
        # an ngettext message is (singular, plural), translated as one string per plural form of the language
        english = m.id[-1] if isinstance(m.id, tuple) else m.id
        forms = (have.string if isinstance(have.string, tuple) else (have.string,)) if have is not None else ("",)
        if have is None or not all(forms):
            out.append(f"{where}: message {_short(english, 90)!r} has no {lang} translation (update, translate, compile)")
        elif have.fuzzy:
            out.append(f"{where}: message {_short(english, 90)!r} changed since it was translated (fuzzy)")
        elif any(placeholders(form) != placeholders(english) for form in forms):
            out.append(f"{where}: the {lang} of {_short(english, 90)!r} must keep its placeholders {placeholders(english)}")
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compiled(po):
        out.append(f"{mo.relative_to(ROOT)} is not what {po.name} compiles to: run scripts/translations.py compile")
    return out


# ================================================================================================== commands
def edition_names(lang: str) -> list[str]:
    """The notebooks with a catalog in ``lang``."""
    return sorted(p.stem for p in (LOCALE / lang / "notebooks").glob("[0-9][0-9]_*.po"))


def update(lang: str, names: list[str]) -> list[Path]:
    """Merge the English into the catalogs of ``lang``: the program's messages, the given notebooks (default: those
    with a catalog) and the docs."""
    import nbformat

    written = []
    pot = extract_messages()
    write_catalog(pot, POT)
    po = messages_path(lang)
    write_catalog(merge(read_catalog(po) if po.exists() else None, pot, lang), po)
    written.append(po)
    for stem in names or edition_names(lang):
        path = SOLUTIONS / f"{Path(stem).stem}.ipynb"
        if not path.exists():
            raise SystemExit(f"no solutions/{path.name}")
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        tmpl = template(notebook_units(nb, path.name))
        target = catalog_path(lang, path.name)
        write_catalog(merge(read_catalog(target) if target.exists() else None, tmpl, lang), target)
        written.append(target)
    for doc in DOCS:
        target = catalog_path(lang, doc)
        if target.exists() or not names:
            tmpl = template(doc_units((ROOT / doc).read_text(encoding="utf-8"), doc))
            write_catalog(merge(read_catalog(target) if target.exists() else None, tmpl, lang), target)
            written.append(target)
    compile_messages(lang)
    return written


def compile_messages(lang: str) -> Path:
    po = messages_path(lang)
    mo = po.with_suffix(".mo")
    data = compiled(po)
    if not mo.exists() or mo.read_bytes() != data:
        mo.write_bytes(data)
    return mo


def doc_values(lang: str) -> Callable[[Unit], dict]:
    """The estimate's numbers for a translated doc: the language's path, minute by minute."""
    et = _estimate_time()

    results = et.estimates(lang=lang)
    slots = et.slots(results)
    end = max(e for _, e in slots.values())
    total = et.agenda_total(results)
    by_number = {r.number: r for r in results}

    def values(unit: Unit) -> dict:
        if unit.kind == "agenda":
            return {"minutes": et.rounded(by_number[unit.role].minutes)}
        if unit.role == "total":
            return {"minutes": total}
        if unit.role == "buffer":
            return {"start": end, "end": et.ROOM_MINUTES - et.DEMO_MINUTES}
        if unit.role == "demo":
            return {"start": et.ROOM_MINUTES - et.DEMO_MINUTES, "end": et.ROOM_MINUTES}
        start, stop = slots[unit.role]
        return {"start": start, "end": stop}

    return values


def write_docs(lang: str, check_only: bool = False) -> list[str]:
    """README.<lang>.md and docs/presenter.<lang>.md from their catalogs (``check_only``: what differs)."""
    found = []
    values = doc_values(lang)
    for doc, pattern in DOCS.items():
        english = (ROOT / doc).read_text(encoding="utf-8")
        text, bad = translate_doc(english, doc, lang, values)
        target = ROOT / pattern.format(lang=lang)
        if bad:
            found += bad
            continue
        if check_only:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                found.append(f"{target.relative_to(ROOT)} is not what its catalog makes: run scripts/translations.py docs")
        elif not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return found


def status(lang: str) -> str:
    import nbformat

    rows = []
    for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        units = notebook_units(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4), path.name)
        catalog = load(lang, path.name)
        done = sum(1 for u in units if usable(catalog, u) is not None) if catalog is not None else 0
        rows.append(f"{path.stem:<32} {done:>4} / {len(units):<4} {'(no catalog yet)' if catalog is None else ''}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("update", "compile", "check", "docs", "status"))
    parser.add_argument("names", nargs="*", help="notebooks (update: start or update these catalogs)")
    parser.add_argument("--lang", default=EDITIONS[0], choices=EDITIONS)
    args = parser.parse_args(argv)
    if args.command == "update":
        for path in update(args.lang, args.names):
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    if args.command == "compile":
        print(f"wrote {compile_messages(args.lang).relative_to(ROOT)}")
        return 0
    if args.command == "docs":
        found = write_docs(args.lang)
        print("\n".join(found) or f"wrote the {args.lang} docs")
        return 1 if found else 0
    if args.command == "status":
        print(status(args.lang))
        return 0
    found = message_problems(args.lang) + write_docs(args.lang, check_only=True)
    print("\n".join(found) or "the catalogs are in step with the English")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

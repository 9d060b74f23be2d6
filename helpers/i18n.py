"""Which language the workshop speaks, and its program messages in that language (gettext, domain ``workshop``).

    from helpers.i18n import _            # _("...") is the message in the current language
    _("{n} events on this page").format(n=3)
    i18n.language()                       # "en" or "ja"
    with i18n.use("ja"): ...              # speak Japanese inside the block (tests, scripts)

The language, the first rule that applies:

1. **A notebook's own folder.** A kernel started in ``notebooks/<lang>/`` or ``solutions/<lang>/`` of this project
   speaks ``<lang>``; one started in ``notebooks/`` or ``solutions/`` speaks English. JupyterLab and papermill start a
   kernel in its notebook's folder, so a notebook's checks answer in the notebook's language, whatever else is set.
2. **``WORKSHOP_LANG``** (``en`` or ``ja``; a locale name such as ``ja_JP.UTF-8`` counts as ``ja``). ``python3
   workshop.py open --lang ja`` sets it for everything it starts.
3. **The locale**, read as gettext reads it: the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is
   set. A Japanese locale (``ja_JP.UTF-8``) speaks Japanese.
4. English.

The catalogs are ``locale/<lang>/LC_MESSAGES/workshop.po`` (translated), compiled to ``workshop.mo`` and committed:
``workshop.py`` speaks through this module before ``.venv`` (and Babel) exists, so the compiled catalog must already be
there in a fresh clone. ``scripts/translations.py`` extracts (``babel.cfg``), updates and compiles them;
``tests/test_translations.py`` fails when the committed ``.mo`` is not what the ``.po`` compiles to.

Standard library only, and nothing from ``helpers`` but the project's root: ``workshop.py`` imports it with the
system's python3.
"""
from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LANGUAGES", "DOMAIN", "LOCALE_DIR", "language", "normalize", "folder_language", "translations",
           "gettext", "ngettext", "_", "N_", "use"]

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
DOMAIN = "workshop"
#: The languages the workshop speaks; the first is the one its sources are written in.
LANGUAGES = ("en", "ja")
#: The folders whose notebooks come in one language per subfolder (``notebooks/ja/``).
NOTEBOOK_FOLDERS = ("notebooks", "solutions")
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_forced: list[str] = []
_catalogs: dict[str, _gettext.NullTranslations] = {}


def normalize(value: str | None) -> str | None:
    """``"ja"``, ``"ja_JP.UTF-8"``, ``"JA-jp"`` -> ``"ja"``; a language the workshop does not speak (or none) -> None."""
    if not value:
        return None
    code = value.strip().split(":")[0].split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def folder_language(cwd: str | Path | None = None) -> str | None:
    """The language of the notebook folder ``cwd`` is (``notebooks/ja`` -> ``"ja"``, ``solutions`` -> ``"en"``), or
    None outside the project's notebook folders."""
    try:
        here = Path(cwd if cwd is not None else os.getcwd()).resolve()
        parts = here.relative_to(ROOT).parts
    except (OSError, ValueError):
        return None
    if not parts or parts[0] not in NOTEBOOK_FOLDERS:
        return None
    if len(parts) == 1:
        return LANGUAGES[0]
    return parts[1] if parts[1] in LANGUAGES else None


def language() -> str:
    """The language to speak now (the rules in this module's docstring)."""
    if _forced:
        return _forced[-1]
    found = folder_language() or normalize(os.environ.get("WORKSHOP_LANG"))
    if found:
        return found
    for name in _LOCALE_VARIABLES:
        value = os.environ.get(name)
        if value:
            return normalize(value) or LANGUAGES[0]
    return LANGUAGES[0]


def translations(lang: str | None = None) -> _gettext.NullTranslations:
    """The catalog of ``lang`` (default: the current language); English, or a missing catalog, translates nothing."""
    lang = lang or language()
    if lang not in _catalogs:
        _catalogs[lang] = _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)
    return _catalogs[lang]


def gettext(message: str) -> str:
    """``message`` (an English msgid) in the current language."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; translate it with ``_()`` where it is used."""
    return message


_ = gettext


@contextmanager
def use(lang: str) -> Iterator[str]:
    """Speak ``lang`` inside the block, whatever the folder, ``WORKSHOP_LANG`` or the locale say."""
    code = normalize(lang)
    if code is None:
        raise ValueError(f"the workshop speaks {', '.join(LANGUAGES)}, not {lang!r}")
    _forced.append(code)
    try:
        yield code
    finally:
        _forced.pop()

"""The Japanese edition's style, as the official Japanese Managed Agents docs write (locale/ja/glossary.csv):

* each term of the English is its glossary form in the Japanese, and no variant the glossary avoids appears;
* the first use of a term in the body of each notebook or doc keeps the English with its gloss:
  「permission policy」（パーミッションポリシー）, as https://platform.claude.com/docs/ja/managed-agents/ introduces one;
* code, API names and event types stay as they are (every code span and fenced block of the English is in the
  translation);
* the prose is Japanese throughout, apart from code and glossed or kept terms;
* です・ます調: a sentence ends politely.
Each rule is shown failing on a made-up translation, then held over every translated notebook and doc.
"""
from __future__ import annotations

import pytest

from support.scripts import ROOT, script

mk = script("make_notebooks")
tr = script("translations")

LANG = "ja"
TERMS = tr.glossary(LANG)


def _problems(english: str, japanese: str, *more: tuple[str, str]) -> list[str]:
    pairs = [(english, japanese), *more]
    units = [tr.Unit("markdown", en, "x.ipynb", i, 0, 0) for i, (en, _) in enumerate(pairs)]
    catalog = tr.new_catalog(LANG)
    for unit, (_, ja) in zip(units, pairs, strict=True):
        catalog.add(unit.text, ja, context=unit.context)
    return tr.style_problems(units, catalog, TERMS)


def test_the_glossary_is_well_formed():
    by_english = {t.english: t for t in TERMS}
    assert len(by_english) == len(TERMS), "a term is listed twice"
    assert by_english["permission policy"].japanese == "パーミッションポリシー"  # the docs' body text
    assert by_english["permission policy"].rule == "gloss" and "権限ポリシー" in by_english["permission policy"].avoid
    for t in TERMS:
        assert t.rule in ("gloss", "plain", "keep") and t.japanese, t
        assert t.rule != "gloss" or t.source.startswith(("https://platform.claude.com/docs/ja/", "(this project")), t


def test_each_rule_can_fail():
    glossed = "「permission policy」（パーミッションポリシー）は、ツールの実行を制御します。"
    assert _problems("A permission policy controls a tool.", glossed) == []
    unglossed = "パーミッションポリシーはツールを制御します。"
    assert any("gloss" in p for p in _problems("A permission policy controls a tool.", unglossed))
    assert any("権限ポリシー" in p for p in _problems("A permission policy controls a tool.",
                                                   glossed + "権限ポリシーとも呼びます。"))
    assert any("'session' is 'セッション'" in p for p in _problems("Open a session.", "会話を開きます。"))
    assert any("code `session.status_idle`" in p for p in _problems("Wait for `session.status_idle`.",
                                                                  "`session.idle` を待ちます。"))
    assert any("English outside code" in p and "stream" in p for p in _problems("Open a stream.",
                                                                                "stream を開きます。ストリームです。"))
    assert any("です・ます" in p for p in _problems("Open a session.", "セッションを開く。"))
    later = ("Then the permission policy asks.", "次にパーミッションポリシーが確認を求めます。")
    assert _problems("A permission policy controls a tool.", glossed, later) == []  # glossed once, first use only
    assert any("'Managed Agents' stays" in p for p in _problems("Claude Managed Agents runs it.",
                                                                "Claude のマネージドエージェントが動かします。"))


def _catalogs():
    import nbformat

    for name in tr.edition_names(LANG):
        path = mk.SOLUTIONS / f"{name}.ipynb"
        units = tr.notebook_units(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4), path.name)
        yield pytest.param(units, tr.load(LANG, name), id=name)
    for doc in tr.DOCS:
        if tr.catalog_path(LANG, doc).exists():
            yield pytest.param(tr.doc_units((ROOT / doc).read_text(encoding="utf-8"), doc), tr.load(LANG, doc), id=doc)


@pytest.mark.parametrize("units,catalog", list(_catalogs()))
def test_every_translation_follows_the_style(units, catalog):
    found = tr.style_problems(units, catalog, TERMS)
    assert not found, "\n".join(found)

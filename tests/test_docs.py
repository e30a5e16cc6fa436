"""docs/legal-basis.md is generated from the rule packs and must not drift from them."""

from pathlib import Path

from konsent.domain.law import PACKS
from konsent.domain.wording import GLOSSARY, WORDINGS
from konsent.legal_basis_doc import render

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_rule_table_is_the_generated_one():
    committed = (ROOT / "docs" / "legal-basis.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/legal-basis.md is stale: run `make docs`"


def test_every_cited_rule_has_a_wording_and_every_wording_is_cited_somewhere():
    cited = {code for pack in PACKS.values() for code in pack.CITATIONS.codes}
    assert cited == set(WORDINGS)


def test_every_rule_appears_in_the_table_of_each_pack_that_cites_it():
    table = render()
    for jurisdiction, pack in PACKS.items():
        section = table.split(f"## {jurisdiction.value} — ")[1].split("\n## ")[0]
        for code in pack.CITATIONS.codes:
            assert f"| `{code}` |" in section, (jurisdiction, code)


def test_both_languages_know_the_same_words():
    assert set(GLOSSARY["de"]) == set(GLOSSARY["en"])

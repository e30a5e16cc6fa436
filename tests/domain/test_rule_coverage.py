"""The tables exercise every rule of every pack, on every channel and every message kind."""

import pytest

from konsent.domain import Channel, MessageKind
from konsent.domain.law import PACKS
from tests.domain import test_at, test_ch, test_de
from tests.domain.table import Row

TABLES: dict[str, list[Row]] = {"DE": test_de.ROWS, "AT": test_at.ROWS, "CH": test_ch.ROWS}


def test_there_are_at_least_120_cases_and_each_cites_its_source():
    rows = [row for table in TABLES.values() for row in table]
    assert len(rows) >= 120
    assert len({row.id for row in rows}) == len(rows), "row ids must be unique"
    assert all(row.source.strip() for row in rows)


@pytest.mark.parametrize("jurisdiction", TABLES)
def test_every_rule_of_the_pack_is_exercised(jurisdiction):
    spoken: set[str] = set()
    for row in TABLES[jurisdiction]:
        decision = row.decide()
        spoken.update(decision.codes)
        spoken.update(w.code for w in decision.warnings)
    pack = next(p for j, p in PACKS.items() if j.value == jurisdiction)
    assert set(pack.CITATIONS.codes) - spoken == set()


@pytest.mark.parametrize("jurisdiction", TABLES)
def test_every_channel_and_kind_is_exercised(jurisdiction):
    rows = TABLES[jurisdiction]
    assert {row.scenario["message"]["channel"] for row in rows} == {c.value for c in Channel}
    assert {row.scenario["message"]["kind"] for row in rows} == {k.value for k in MessageKind}

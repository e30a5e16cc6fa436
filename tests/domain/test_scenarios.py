"""The scenarios taken from the seed documents decide as their `expect` says.

They are read from shared/examples/scenarios beside the checkout (as in CI) wherever that folder
exists, and always from the copies bundled in examples/scenarios.
"""

import json
import os
from pathlib import Path

import pytest

from konsent.domain import decide
from konsent.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("KONSENT_SHARED_DIR", ROOT.parent / "shared")) / "examples" / "scenarios"
BUNDLED = ROOT / "examples" / "scenarios"


def scenario_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def check(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    expect = json.loads(raw)["expect"]
    decision = decide(parse_scenario(raw))
    assert decision.decision.value == expect["decision"], [r.code for r in decision.reasons]
    if "basis" in expect:
        assert (decision.basis and decision.basis.value) == expect["basis"]


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is not beside this checkout")
@pytest.mark.parametrize("path", scenario_files(SHARED), ids=lambda p: p.stem)
def test_shared_scenario(path: Path):
    check(path)


@pytest.mark.parametrize("path", scenario_files(BUNDLED), ids=lambda p: p.stem)
def test_bundled_scenario(path: Path):
    check(path)


def test_the_bundled_copies_match_the_shared_originals():
    if not SHARED.is_dir():
        pytest.skip("shared/ is not beside this checkout")
    for original in scenario_files(SHARED):
        copy = BUNDLED / original.name
        assert copy.is_file(), f"{original.name} is not bundled in examples/scenarios"
        assert json.loads(copy.read_text()) == json.loads(original.read_text())

"""`konsent import`, run as an operator runs it: a real process on a fresh SQLite file."""

import json
from pathlib import Path

import pytest

from tests.cli import in_folder

DATA = Path(__file__).resolve().parent / "data" / "import"


@pytest.fixture
def konsent(tmp_path):
    run = in_folder(tmp_path)
    assert run("org", "create", "salon", "--name", "Salon Sonnenschein").returncode == 0
    return run


def test_a_dry_run_lists_the_problems_by_line_exits_1_and_writes_nothing(konsent):
    result = konsent("import", str(DATA / "broken.csv"), "--org", "salon")

    assert result.returncode == 1
    assert "nothing was written" in result.stdout
    assert "line 3, email: not a valid email address" in result.stdout
    assert "line 5, consent_channels: unknown channel 'fax'" in result.stdout
    assert "line 8, encoding (column 'email'): not valid UTF-8" in result.stdout
    assert konsent("customer", "show", "C-1", "--org", "salon").returncode == 2  # not even the good rows


def test_commit_imports_a_clean_file_and_a_second_run_finds_them_all_present(konsent):
    dry = konsent("import", str(DATA / "kunden.csv"), "--org", "salon", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["committed"] is False
    assert konsent("customer", "show", "K-1001", "--org", "salon").returncode == 2

    done = konsent("import", str(DATA / "kunden.csv"), "--org", "salon", "--commit")
    assert done.returncode == 0, done.stderr
    assert "customers added: 3" in done.stdout
    shown = json.loads(konsent("customer", "show", "K-1001", "--org", "salon", "--json").stdout)
    assert shown["contacts"]["email"] == "anna.berg@example.com"

    again = json.loads(konsent("import", str(DATA / "kunden.csv"), "--org", "salon", "--json").stdout)
    assert {(p["line"], p["field"]) for p in again["problems"]} >= {(2, "email"), (2, "external_id")}


def test_map_and_a_large_file_with_its_progress_bar(konsent, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("Mitgliedsnr,Mail\n" + "".join(f"M-{i},m{i}@example.com\n" for i in range(1500)))

    result = konsent("import", str(big), "--org", "salon", "--commit", "--map", "Mitgliedsnr=external_id", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # the bar goes to stderr, the report stays parseable
    assert (report["customers"], report["unknown_columns"]) == (1500, [])
    assert "importing" in result.stderr
    assert konsent("customer", "show", "M-1499", "--org", "salon").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.csv",), "konsent: file: cannot read"),
        ((str(DATA / "kunden.csv"), "--map", "Kundennummer"), "konsent: map: use HEADER=FIELD"),
        ((str(DATA / "kunden.csv"), "--map", "Nope=external_id"), "konsent: map: no column 'Nope'"),
    ],
)
def test_a_bad_invocation_exits_2_with_one_line(konsent, args, message):
    result = konsent("import", *args, "--org", "salon")
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stdout == ""


def test_an_unknown_organisation_exits_2(konsent):
    result = konsent("import", str(DATA / "kunden.csv"), "--org", "no-such-salon")
    assert (result.returncode, result.stderr.strip()) == (2, "konsent: organisation not found: no-such-salon")

"""`konsent decide` and `konsent check-scenarios`, run as a user runs them: as a real process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "scenarios"
PRIVILEGE = EXAMPLES / "seed000-similar-product-privilege.json"


def konsent(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "konsent", *args],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )


def test_it_prints_the_decision_as_json():
    result = konsent("decide", "--scenario", str(PRIVILEGE))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["decision"] == "allow"
    assert decision["basis"] == "existing_customer"
    assert decision["citations"] == ["UWG §7 Abs. 3"]
    assert decision["requirements"] == ["opt_out_notice", "unsubscribe_link", "sender_identity"]
    assert decision["reasons"][0]["code"] == "existing_customer_privilege"
    assert set(decision["reasons"][0]["texts"]) == {"de", "en"}


def test_it_reads_the_scenario_from_standard_input():
    result = konsent("decide", "--scenario", "-", stdin=PRIVILEGE.read_text())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["basis"] == "existing_customer"


def test_it_explains_a_denial_in_german():
    scenario = EXAMPLES / "seed000-racket-ad-without-notice.json"
    result = konsent("decide", "-s", str(scenario), "--format", "text", "--lang", "de")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("NICHT ERLAUBT: Produktwerbung per E-Mail")
    assert "tennis-rackets ist nicht ähnlich" in result.stdout
    assert "[UWG §7 Abs. 2 Nr. 2]" in result.stdout


def test_it_explains_an_allow_in_english_with_what_the_message_must_carry():
    result = konsent("decide", "-s", str(PRIVILEGE), "--format", "text")
    assert result.stdout.startswith("ALLOWED: product advertising by email")
    assert "The message must carry: a clear notice" in result.stdout


@pytest.mark.parametrize(
    ("scenario", "field"),
    [
        ({"at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"}}, "jurisdiction"),
        ({"jurisdiction": "FR", "at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"}},
         "jurisdiction"),
        ({"jurisdiction": "DE", "at": "yesterday", "message": {"channel": "email", "kind": "newsletter"}},
         "at"),
        ({"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "fax", "kind": "newsletter"}},
         "message.channel"),
        ({"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "email", "kind": "spam"}},
         "message.kind"),
        ({"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"},
          "recipient": {"consents": [{"channel": "email", "given_at": "2026-13-01"}]}},
         "recipient.consents[0].given_at"),
        ({"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"},
          "recipient": {"transactional_opt_out": "yes"}},
         "recipient.transactional_opt_out"),
        ({"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"},
          "recipient": {"purchases": [{"at": "2026-01-01", "contact_collected": ["email", "pigeon"]}]}},
         "recipient.purchases[0].contact_collected[1]"),
    ],
)
def test_a_malformed_scenario_exits_2_with_one_line_naming_the_field(scenario, field):
    result = konsent("decide", "--scenario", "-", stdin=json.dumps(scenario))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"konsent: {field}: ")


def test_broken_json_exits_2_with_one_line():
    result = konsent("decide", "--scenario", "-", stdin='{"jurisdiction": "DE",')
    assert result.returncode == 2
    assert result.stderr.strip().startswith("konsent: scenario: not valid JSON")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_file_exits_2():
    result = konsent("decide", "--scenario", "/nonexistent/scenario.json")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_check_scenarios_passes_on_the_bundled_examples():
    result = konsent("check-scenarios", str(EXAMPLES))
    assert result.returncode == 0, result.stdout
    assert "scenarios decided as expected" in result.stdout


def test_check_scenarios_fails_on_a_wrong_expectation(tmp_path):
    scenario = json.loads(PRIVILEGE.read_text())
    scenario["expect"] = {"decision": "deny"}
    (tmp_path / "wrong.json").write_text(json.dumps(scenario))
    result = konsent("check-scenarios", str(tmp_path))
    assert result.returncode == 1
    assert "✗ wrong: allow (existing_customer)" in result.stdout

"""The scenario contract at the edge: defaults, timestamps, and errors that name the field."""

from datetime import UTC, datetime, timedelta

import pytest

from konsent.domain import Channel, Purpose
from konsent.scenario import ScenarioError, parse_scenario

MINIMAL = {"jurisdiction": "DE", "at": "2026-11-20T10:00:00+01:00",
           "message": {"channel": "email", "kind": "newsletter"}}


def test_missing_optional_fields_take_the_documented_defaults():
    scenario = parse_scenario(MINIMAL)
    assert scenario.message.includes_opt_out_notice is True
    assert scenario.message.sender_identified is True
    assert scenario.message.automated is True
    assert scenario.message.contains_advertising is None
    assert scenario.recipient.type == "consumer"
    assert scenario.recipient.registers.directory_listed is True
    assert scenario.organisation.similar_categories == ()


def test_unknown_fields_are_ignored():
    scenario = parse_scenario({**MINIMAL, "expect": {"decision": "deny"}, "note": "x",
                               "message": {**MINIMAL["message"], "colour": "red"}})
    assert scenario.message.kind == "newsletter"


def test_a_date_alone_means_midnight_utc():
    scenario = parse_scenario({**MINIMAL, "at": "2026-11-20"})
    assert scenario.at == datetime(2026, 11, 20, tzinfo=UTC)


def test_offsets_are_kept():
    scenario = parse_scenario(MINIMAL)
    assert scenario.at.utcoffset() == timedelta(hours=1)
    assert scenario.at == datetime(2026, 11, 20, 9, tzinfo=UTC)


def test_consent_defaults_follow_the_contract():
    scenario = parse_scenario({**MINIMAL, "recipient": {"consents": [
        {"channel": "sms", "given_at": "2026-01-01T00:00:00Z"}]}})
    consent = scenario.recipient.consents[0]
    assert (consent.channel, consent.purpose, consent.evidence) == (Channel.SMS, Purpose.ADVERTISING, True)
    assert consent.doi_confirmed_at is None


def test_an_objection_to_all_channels_covers_every_channel():
    scenario = parse_scenario({**MINIMAL, "recipient": {"objections": [{"at": "2026-01-01"}]}})
    assert all(scenario.recipient.objections[0].covers(channel) for channel in Channel)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"at": None}, "at: must be an ISO 8601 timestamp string"),
        ({"at": "2026-02-30"}, "at: not an ISO 8601 timestamp: '2026-02-30'"),
        ({"message": {"channel": "email"}}, "message.kind: is required"),
        ({"message": "newsletter"}, "message: must be a JSON object"),
        ({"organisation": {"reading": "lenient"}},
         "organisation.reading: Input should be 'prevailing' or 'strict'"),
        ({"recipient": {"type": "robot"}}, "recipient.type: Input should be 'consumer' or 'business'"),
        ({"recipient": {"objections": [{"channel": "fax", "at": "2026-01-01"}]}},
         "recipient.objections[0].channel: Input should be"),
        ({"message": {**MINIMAL["message"], "advertised_categories": [""]}},
         "message.advertised_categories[0]: String should have at least 1 character"),
    ],
)
def test_malformed_fields_are_named(patch, message):
    with pytest.raises(ScenarioError) as error:
        parse_scenario({**MINIMAL, **patch})
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_an_oversized_scenario_is_refused_before_parsing():
    padded = {**MINIMAL, "note": "x" * 1_100_000}
    with pytest.raises(ScenarioError, match="more than the 1,000,000 bytes"):
        parse_scenario(padded)


@pytest.mark.parametrize("text", ["", "[]", "null", '{"jurisdiction": "DE"', "\xff"])
def test_malformed_json_is_refused_with_one_line(text):
    with pytest.raises(ScenarioError) as error:
        parse_scenario(text)
    assert "\n" not in str(error.value)

"""The dashboard's figures per period — consent rate per channel, double opt-in completion, objections,
messages by basis, withheld messages by reason — each equal to an independent count: SQL over the
tables, JSON over the hashed ledger bodies, and the decision engine for "may we write to them"."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from konsent.errors import InputError
from konsent.services import consents, dashboard
from konsent.services.consents import ConsentDeclaration
from tests.services.test_answer_pack import (
    CHANNELS,
    KIND_OF,
    SIGNED,
    _aware,
    _document,
    bodies,
    history,
    person,
    rate,
    usable_consent,
    with_address,
)

BERLIN = ZoneInfo("Europe/Berlin")


def weeks(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Monday to Monday, midnight in Berlin (the organisation's zone), as a calendar shows them."""
    first = since.astimezone(BERLIN).date()
    first -= timedelta(days=first.weekday())
    found = []
    while (start := datetime.combine(first, time(), tzinfo=BERLIN)) < until:
        first += timedelta(days=7)
        found.append((start, datetime.combine(first, time(), tzinfo=BERLIN)))
    return found


def expected_points(app, org, periods):
    now = app.now()
    with app.db.unit_of_work() as session:
        reachable = {(channel, min(end, now)): with_address(session, org, KIND_OF[channel], min(end, now))
                     for _, end in periods for channel in CHANNELS}
        requests = session.execute(text(
            "SELECT requested_at, confirmed_at, expires_at FROM doi_requests WHERE organisation_id = :org"),
            {"org": org}).all()
        objections = [(datetime.fromisoformat(body["occurred_at"]), body["data"].get("channel", "all"))
                      for body, _ in bodies(session, org, "objection.received")]
        messages = [(status, _aware(sent_at), _aware(created_at), _document(decision)) for
                    status, sent_at, created_at, decision in session.execute(text(
                        "SELECT status, sent_at, created_at, decision FROM messages WHERE organisation_id = :org"),
                        {"org": org})]
    points = []
    for start, end in periods:
        at = min(end, now)
        consent = {}
        for channel in CHANNELS:
            customers = reachable[(channel, at)]
            consenting = sum(usable_consent(app, org, c, channel, at) for c in customers)
            consent[channel] = {"with_address": len(customers), "with_consent": consenting,
                                "rate": rate(consenting, len(customers))}
        asked = [(_aware(r), _aware(c), _aware(e)) for r, c, e in requests if start <= _aware(r) < end]
        confirmed = sum(1 for _, c, _ in asked if c is not None)
        expired = sum(1 for _, c, e in asked if c is None and e <= now)
        sent = Counter(decision.get("basis") or "none" for status, sent_at, _, decision in messages
                       if status == "sent" and sent_at and start <= sent_at < end)
        withheld = Counter(decision["reasons"][0]["code"] for status, _, created, decision in messages
                           if status == "withheld" and start <= created < end)
        points.append({
            "start": start.isoformat(), "end": end.isoformat(), "consent": consent,
            "doi": {"requested": len(asked), "confirmed": confirmed, "expired": expired,
                    "open": len(asked) - confirmed - expired, "rate": rate(confirmed, len(asked))},
            "objections": dict(sorted(Counter(c for at_, c in objections if start <= at_ < end).items())),
            "messages_by_basis": dict(sorted(sent.items())), "withheld_by_reason": dict(sorted(withheld.items())),
        })
    return points


def test_every_weekly_figure_equals_its_own_count(app, org, clock, tmp_path):
    since = clock() - timedelta(days=3)
    history(app, org, clock, tmp_path)
    figures = dashboard.figures(app, org, since=since, until=clock(), bucket="week", lang="en")
    periods = weeks(since, clock())
    assert len(periods) == 3  # 16, 23 and 30 November
    assert figures.as_dict()["points"] == expected_points(app, org, periods)
    # The story, so that the two countings cannot agree on nonsense:
    first, second, third = figures.points
    assert first.doi.requested == 2
    assert first.doi.confirmed == 1
    assert second.doi.requested == 0
    assert third.doi.requested == 1
    assert first.messages_by_basis == {"consent": 1, "doi_request": 2, "existing_customer": 1}
    assert first.withheld_by_reason == {"objection": 1}  # clara unsubscribed before the worker came
    assert first.objections == {"email": 1}
    assert second.objections == {"all": 2}
    assert first.consent["email"].with_consent == 1
    assert second.consent["email"].with_consent == 0
    assert first.consent["sms"].with_consent == 1  # clara, at the desk
    assert figures.words["existing_customer"] == "The existing-customer privilege"
    assert figures.words["objection"] == "Objection"


def test_consent_rate_moves_with_consent_withdrawal_and_new_addresses_day_by_day(app, org, clock):
    since = clock()
    anna, ben = person(app, org, "anna"), person(app, org, "ben")
    consents.give(app, org, anna, ConsentDeclaration(channel="email", source="paper_form", evidence=SIGNED))
    clock.advance(days=1)
    consents.give(app, org, ben, ConsentDeclaration(channel="email", source="paper_form", evidence=SIGNED))
    person(app, org, "clara")
    clock.advance(days=1)
    consents.withdraw(app, org, anna, channel="email")
    clock.advance(hours=2)
    figures = dashboard.figures(app, org, since=since, until=clock(), bucket="day")
    rates = [(p.consent["email"].with_consent, p.consent["email"].with_address, p.consent["email"].rate)
             for p in figures.points]
    assert rates == [(1, 2, 50.0), (2, 3, 66.7), (1, 3, 33.3)]
    periods = [(p.start, p.end) for p in figures.points]
    assert figures.as_dict()["points"] == expected_points(app, org, periods)


def test_days_without_a_zone_are_the_organisations_and_months_start_on_the_first(app, org):
    figures = dashboard.figures(app, org, since=date(2026, 9, 15), until=date(2026, 11, 21), bucket="month")
    assert [p.start.isoformat() for p in figures.points] == [
        "2026-09-01T00:00:00+02:00", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00"]
    assert figures.points[-1].end.isoformat() == "2026-12-01T00:00:00+01:00"
    assert figures.since.isoformat() == "2026-09-15T00:00:00+02:00"


@pytest.mark.parametrize(("options", "field"), [
    ({"bucket": "year"}, "bucket"),
    ({"since": datetime(2026, 11, 20, tzinfo=BERLIN), "until": datetime(2026, 11, 1, tzinfo=BERLIN)}, "until"),
    ({"since": datetime(2020, 1, 1, tzinfo=BERLIN), "bucket": "day"}, "since"),
    ({"since": datetime(1, 1, 1), "until": datetime(1, 2, 1)}, "since"),
    ({"lang": "fr"}, "lang"),
])
def test_a_question_it_cannot_answer_is_refused_naming_the_field(app, org, options, field):
    arguments = {"since": datetime(2026, 10, 1, tzinfo=BERLIN), "until": datetime(2026, 11, 20, tzinfo=BERLIN),
                 **options}
    with pytest.raises(InputError) as refused:
        dashboard.figures(app, org, **arguments)
    assert refused.value.field == field


def test_another_organisations_customers_are_not_counted(app, org, clock):
    since = clock()
    consents.give(app, org, person(app, org, "anna"), ConsentDeclaration(channel="email", source="paper_form",
                                                                         evidence=SIGNED))
    from konsent.services import organisations  # noqa: PLC0415

    other = organisations.create(app, slug=f"other-{org[:8]}", name="Other", jurisdiction="DE").id
    clock.advance(hours=1)
    [point] = dashboard.figures(app, other, since=since, until=clock(), bucket="day").points
    assert point.consent["email"].with_address == 0
    assert point.consent["email"].rate is None
    [mine] = dashboard.figures(app, org, since=since, until=clock(), bucket="day").points
    assert mine.consent["email"].with_consent == 1

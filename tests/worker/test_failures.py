"""When delivery goes wrong: busy servers, dropped connections, bounces, lost leases — on both
databases, with the clock moved by hand. Nothing is lost and nothing goes twice."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from konsent.services import campaigns, dispatch, outbox
from konsent.services.campaigns import CampaignDraft
from konsent.storage import tables as t
from konsent.worker import claim
from konsent.worker.loop import Worker
from konsent.worker.ratelimit import RateLimit
from tests.worker.audience import ALLOWED, autumn_template, deliver, mixed, pool, schedule
from tests.worker.mailserver import mail_server


def row(app, outbox_id: str) -> t.OutboxItem:
    with app.db.unit_of_work() as session:
        found = session.get(t.OutboxItem, outbox_id)
        assert found is not None
        return found


def allowed(app, org) -> dict[str, str]:
    autumn_template(app, org)
    people = mixed(app, org)
    return schedule(app, org, {name: people[name] for name in ALLOWED})


def test_a_busy_server_means_a_retry_with_backoff_and_then_the_message_goes(app, org, clock):
    queued = allowed(app, org)
    with mail_server(busy_for=2) as server:
        first = deliver(app, org, server)
        assert (first.sent, first.retrying) == (len(ALLOWED) - 2, 2)
        waiting = [row(app, i) for i in queued.values() if row(app, i).status == outbox.AWAITING_RETRY]
        for item in waiting:
            assert item.attempts == 1
            assert timedelta(seconds=30) <= item.next_attempt_at - clock() <= timedelta(seconds=60)
            assert item.last_error == "smtp: the server answered 421 4.3.2 to RCPT"
        assert deliver(app, org, server).claimed == 0  # not yet due
        clock.advance(seconds=61)
        second = deliver(app, org, server)
    assert second.sent == 2
    assert server.counts() == {f"{name}@example.com": 1 for name in ALLOWED}
    assert {row(app, i).status for i in queued.values()} == {outbox.SENT}


def test_a_server_that_drops_the_connection_after_every_two_messages_loses_nothing(app, org):
    queued = allowed(app, org)
    with mail_server(drop_every=2) as server:
        stats = deliver(app, org, server, concurrency=1)
    assert stats.sent == len(ALLOWED)
    assert server.counts() == {f"{name}@example.com": 1 for name in ALLOWED}
    assert server.connections == 2  # a stale session is replaced at once, not counted as a failure
    assert {row(app, i).status for i in queued.values()} == {outbox.SENT}


def test_temporary_failures_give_up_after_the_last_attempt(app, org, clock):
    app.settings.dispatch.max_attempts = 3
    queued = allowed(app, org)
    with mail_server(busy_for=1000) as server:
        for _ in range(3):
            deliver(app, org, server)
            clock.advance(hours=1)
    for outbox_id in queued.values():
        failed = row(app, outbox_id)
        assert (failed.status, failed.attempts) == (outbox.FAILED, 3)
        assert failed.last_error == "gave up after 3 attempts: smtp: the server answered 421 4.3.2 to RCPT"
    assert server.received == []


def test_a_hard_bounce_marks_the_address_and_nothing_more_goes_to_it(app, org, clock):
    queued = allowed(app, org)
    campaign = campaigns.create(app, org, CampaignDraft(name="Autumn", kind="product_ad", channels=["email"],
                                                        template_key="autumn", advertised_categories=["hair-care"]))
    assert "address_bounced" not in {r.code for r in campaigns.preview(app, org, campaign.id).channels[0].reasons}
    with mail_server(refuse={"anna@example.com": "550 5.1.1 No such mailbox"}) as server:
        deliver(app, org, server)
        # The preview (a projection kept up to date as things happen) no longer counts Anna as reachable.
        email, = campaigns.preview(app, org, campaign.id).channels
        assert {r.code: r.count for r in email.reasons}.get("address_bounced") == 1
        bounced = row(app, queued["anna"])
        assert (bounced.status, bounced.last_error) == (outbox.FAILED, "smtp: the server answered 550 5.1.1 to RCPT")
        with app.db.unit_of_work() as session:
            assert session.scalar(select(t.ContactPoint.bounced_at).where(
                t.ContactPoint.organisation_id == org, t.ContactPoint.value == "anna@example.com")) == clock()
        clock.advance(days=1)
        people = {"anna": bounced.customer_id}
        later = schedule(app, org, people)
        deliver(app, org, server)
    assert row(app, later["anna"]).status == outbox.WITHHELD
    assert row(app, later["anna"]).last_error == "the email address bounced on 2026-11-20: nothing more is sent to it"
    assert "anna@example.com" not in server.counts()


def test_a_policy_refusal_fails_the_message_but_does_not_mark_the_address(app, org):
    queued = allowed(app, org)
    with mail_server(refuse={"dora@example.com": "550 5.7.1 Message rejected as spam"}) as server:
        deliver(app, org, server)
    assert row(app, queued["dora"]).status == outbox.FAILED
    with app.db.unit_of_work() as session:
        assert session.scalar(select(t.ContactPoint.bounced_at).where(
            t.ContactPoint.organisation_id == org, t.ContactPoint.value == "dora@example.com")) is None


def test_a_worker_whose_lease_ran_out_leaves_the_row_to_the_worker_that_took_it_over(app, org, clock):
    queued = allowed(app, org)
    with app.db.unit_of_work() as session:
        stale = claim.claim(session, "worker-a", now=clock(), lease=timedelta(seconds=60), limit=100,
                            organisations=[org])
    assert len(stale) == len(ALLOWED)
    clock.advance(seconds=61)
    with mail_server() as server:
        taken_over = deliver(app, org, server)
    assert (taken_over.claimed, taken_over.sent) == (len(ALLOWED), len(ALLOWED))
    late = dispatch.Outcome(stale[0], outbox.FAILED, clock(), {"states": {}}, error="worker-a's late news")
    with app.db.unit_of_work() as session:
        assert dispatch.record(session, "worker-a", [late], now=clock()) == []
    assert row(app, stale[0].id).status == outbox.SENT
    assert row(app, stale[0].id).attempts == 2  # the dead worker's claim counts as an attempt
    assert server.counts() == {f"{name}@example.com": 1 for name in ALLOWED}
    assert set(queued.values()) == {r.id for r in stale}


def test_a_live_lease_keeps_other_workers_away(app, org, clock):
    allowed(app, org)
    with app.db.unit_of_work() as session:
        claim.claim(session, "worker-a", now=clock(), lease=timedelta(seconds=60), limit=100, organisations=[org])
    clock.advance(seconds=59)
    with mail_server() as server:
        assert deliver(app, org, server).claimed == 0
    assert server.received == []


def test_a_stopping_worker_gives_its_rows_back_without_counting_an_attempt(app, org, clock):
    queued = allowed(app, org)
    with app.db.unit_of_work() as session:
        held = claim.claim(session, "worker-a", now=clock(), lease=timedelta(seconds=60), limit=100,
                           organisations=[org])
    with app.db.unit_of_work() as session:
        assert claim.release(session, "worker-a", [r.id for r in held], now=clock()) == len(ALLOWED)
    for outbox_id in queued.values():
        back = row(app, outbox_id)
        assert (back.status, back.attempts, back.lease_owner) == (outbox.QUEUED, 0, None)


def test_a_row_of_a_campaign_cancelled_after_it_was_claimed_is_withheld(app, org, clock):
    # Cancelling withholds the campaign's waiting rows; one a worker had already claimed meets this check.
    campaign = str(uuid.uuid4())
    with app.db.unit_of_work() as session:
        session.add(t.Campaign(id=campaign, organisation_id=org, name="Herbst", kind="product_ad", channels=["email"],
                               template_key="autumn", status="cancelled", created_at=clock(), updated_at=clock()))
    autumn_template(app, org)
    people = mixed(app, org)
    queued = schedule(app, org, {"anna": people["anna"]})
    with app.db.unit_of_work() as session:
        session.get(t.OutboxItem, queued["anna"]).campaign_id = campaign
    with mail_server() as server:
        assert deliver(app, org, server).withheld == 1
    assert server.received == []
    assert row(app, queued["anna"]).last_error == "the campaign was cancelled"


def test_a_message_is_not_sent_before_its_time(app, org, clock):
    autumn_template(app, org)
    people = mixed(app, org)
    schedule(app, org, {"anna": people["anna"]}, send_after=clock() + timedelta(hours=1))
    with mail_server() as server:
        assert deliver(app, org, server).claimed == 0
        clock.advance(hours=1)
        assert deliver(app, org, server).sent == 1


def test_the_worker_keeps_to_the_rate_limit_of_its_transport(app, org):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    allowed(app, org)
    limit = RateLimit(per_window=2, window=3600, clock=lambda: 0.0, sleep=sleep)
    with mail_server() as server:
        deliver(app, org, server, concurrency=1, limits={"email": limit})
    assert waits == [3600, 3600]  # four messages, two per hour: the last two wait for the next hour


class Forgetful(Worker):
    """A worker whose database stops taking writes."""

    flush_pause = 0.0

    def _record(self, outcomes):
        raise OSError("the database went away")


def test_a_worker_that_cannot_record_stops_instead_of_sending_on(app, org):
    queued = allowed(app, org)
    with mail_server() as server:
        worker = Forgetful(app, {"email": pool(server)}, concurrency=1, batch=50, organisations=[org])
        with pytest.raises(OSError, match="went away"):
            asyncio.run(worker.run(once=True))
    assert len(server.received) == 1  # the first message went; with its outcome unwritten, nothing more
    assert {row(app, i).status for i in queued.values()} == {outbox.IN_FLIGHT}  # leased: back after the lease


def test_a_row_whose_workers_keep_dying_is_given_up_after_the_last_attempt(app, org, clock):
    app.settings.dispatch.max_attempts = 2
    queued = allowed(app, org)
    for _ in range(2):  # two workers claim and die
        with app.db.unit_of_work() as session:
            claim.claim(session, "doomed", now=clock(), lease=timedelta(seconds=60), limit=100, organisations=[org])
        clock.advance(seconds=61)
    with mail_server() as server:
        assert deliver(app, org, server).failed == len(ALLOWED)
    assert server.received == []
    assert row(app, queued["anna"]).last_error == "gave up after 2 attempts"

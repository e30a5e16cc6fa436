"""The outbox queues each message once, however often it is scheduled."""

from sqlalchemy import func, select

from konsent.services import outbox
from konsent.storage import tables as t


def entry(key: str, app) -> outbox.Entry:
    return outbox.Entry(customer_id="c-1", channel="email", kind="newsletter", dedupe_key=key,
                        template_key="newsletter", decision={"decision": "allow"}, send_after=app.now())


def test_a_dedupe_key_is_queued_once(app, org):
    with app.db.unit_of_work() as session:
        assert outbox.enqueue(session, org, [entry("a", app), entry("b", app)], now=app.now()) == 2
    with app.db.unit_of_work() as session:
        assert outbox.enqueue(session, org, [entry("b", app), entry("c", app)], now=app.now()) == 1
        mine = select(func.count()).select_from(t.OutboxItem).where(t.OutboxItem.organisation_id == org)
        queued = session.scalar(mine)
    assert queued == 3

"""A campaign made with the campaign service, sent by the worker: paused, it waits; resumed, it
reaches exactly the customers the law allows, once each."""

from konsent.services import audience, campaigns
from konsent.services.campaigns import CampaignDraft
from tests.worker.audience import ALLOWED, autumn_template, deliver, mixed
from tests.worker.mailserver import mail_server


def test_a_scheduled_campaign_paused_and_resumed_reaches_exactly_the_allowed_once(app, org, clock):
    autumn_template(app, org)
    mixed(app, org)
    audience.rebuild_all(app, org)
    campaign = campaigns.create(app, org, CampaignDraft(
        name="Herbst", kind="product_ad", channels=["email"], template_key="autumn",
        advertised_categories=["hair-care"]))
    scheduled = campaigns.schedule(app, org, campaign.id)
    assert scheduled.queued == len(ALLOWED)
    campaigns.pause(app, org, campaign.id)
    with mail_server() as server:
        assert deliver(app, org, server).claimed == 0
        campaigns.settle_progress(app)
        assert campaigns.status(app, org, campaign.id).campaign.status == campaigns.PAUSED
        campaigns.resume(app, org, campaign.id)
        clock.advance(seconds=1)
        assert campaigns.status(app, org, campaign.id).campaign.status == campaigns.SCHEDULED
        sent = deliver(app, org, server)
        again = deliver(app, org, server)
    campaigns.settle_progress(app)
    assert campaigns.status(app, org, campaign.id).campaign.status == campaigns.COMPLETED
    assert sent.sent == len(ALLOWED)
    assert again.claimed == 0
    assert server.counts() == {f"{name}@example.com": 1 for name in ALLOWED}

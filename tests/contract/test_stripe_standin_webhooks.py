"""Webhook delivery by the Stripe stand-in: signatures the official SDK verifies, and the
duplicates, reordering, retries and pauses an app must survive."""

from __future__ import annotations

import json

import pytest
import stripe
from stripe import StripeClient
from stripe_scenario import AppSite, a_checkout_session, an_express_account, client_for

from sandbox.stripe import StripeStandIn


@pytest.fixture
def practice(stripe_client: StripeClient, stripe_standin: StripeStandIn) -> str:
    account = an_express_account(stripe_client, stripe_standin).id
    stripe_standin.driver.wait_for_deliveries(1)
    return account


def test_a_delivery_is_signed_as_stripe_signs_and_verifies_only_with_the_secret(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite, practice: str
) -> None:
    [hook] = app.received

    event = stripe.Webhook.construct_event(hook.body, hook.signature, stripe_standin.webhook_secret)

    assert event.id.startswith("evt_")
    assert hook.signature is not None
    assert hook.signature.startswith("t=")
    assert ",v1=" in hook.signature
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_client.construct_event(hook.body, hook.signature, "whsec_not_the_secret")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_client.construct_event(
            hook.body.replace(b"account.updated", b"account.updatex"),
            hook.signature,
            stripe_standin.webhook_secret,
        )


def test_each_event_can_be_delivered_more_than_once(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite, practice: str
) -> None:
    stripe_standin.set_webhook_endpoint(app.webhook_url, enabled_events=("checkout.session.*",))
    stripe_standin.webhooks.duplicate(3)

    session = a_checkout_session(stripe_client, practice)
    stripe_standin.driver.expire(session.id)

    copies = stripe_standin.driver.wait_for_deliveries(4)[1:]
    assert [(d.event_type, d.copy) for d in copies] == [
        ("checkout.session.expired", n) for n in (1, 2, 3)
    ]
    assert len({d.event_id for d in copies}) == 1
    assert len({d.payload for d in copies}) == 1


def test_held_events_are_released_reversed_or_shuffled(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite, practice: str
) -> None:
    stripe_standin.set_webhook_endpoint(app.webhook_url, enabled_events=("checkout.session.*",))
    sessions = [a_checkout_session(stripe_client, practice).id for _ in range(4)]
    stripe_standin.webhooks.hold()
    for session_id in sessions[:2]:
        stripe_standin.driver.expire(session_id)

    waiting = [event["data"]["object"]["id"] for event in stripe_standin.webhooks.pending()]
    released = stripe_standin.webhooks.release("reversed")
    stripe_standin.webhooks.wait_until_idle()
    reversed_order = [json.loads(h.body)["data"]["object"]["id"] for h in app.received[1:]]

    assert waiting == sessions[:2]
    assert released == 2
    assert reversed_order == sessions[1::-1]
    stripe_standin.webhooks.hold()
    for session_id in sessions[2:]:
        stripe_standin.driver.expire(session_id)
    stripe_standin.webhooks.release("shuffled", seed=7)
    stripe_standin.webhooks.wait_until_idle()
    shuffled = [json.loads(h.body)["data"]["object"]["id"] for h in app.received[3:]]
    assert sorted(shuffled) == sorted(sessions[2:])


def test_a_failing_endpoint_is_retried_until_it_answers_2xx(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite, practice: str
) -> None:
    stripe_standin.webhooks.retry(attempts=3, backoff=0.01)
    app.answer_next(500, 503)

    stripe_standin.driver.set_requirements(practice, currently_due=["external_account"])

    [delivered] = stripe_standin.driver.wait_for_deliveries(2)[1:]
    attempts = stripe_standin.webhooks.attempts("account.updated")[1:]
    assert [(a.attempt, a.status) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
    assert delivered.attempt == 3
    assert attempts[0].response_body == '{"received": true}'


def test_retries_stop_after_the_last_attempt(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite, practice: str
) -> None:
    stripe_standin.webhooks.retry(attempts=2, backoff=0.01)
    app.answer_next(500, 500, 500)

    stripe_standin.driver.set_requirements(practice, currently_due=["external_account"])
    failed = stripe_standin.driver.wait_for_deliveries(3, succeeded=False)
    stripe_standin.webhooks.wait_until_idle()

    assert [(a.attempt, a.status) for a in failed[1:]] == [(1, 500), (2, 500)]
    assert len(stripe_standin.webhooks.attempts()) == 3


def test_an_unreachable_endpoint_is_recorded_as_no_answer(app: AppSite) -> None:
    with StripeStandIn(deliver_to="http://127.0.0.1:9/stripe/webhook") as standin:
        standin.webhooks.retry(attempts=1)
        client = client_for(standin)

        an_express_account(client, standin)
        [attempt] = standin.driver.wait_for_deliveries(1, succeeded=False)

    assert attempt.status is None
    assert attempt.error is not None


def test_without_an_endpoint_events_only_accumulate() -> None:
    with StripeStandIn() as standin:
        client = client_for(standin)

        account = an_express_account(client, standin)
        events = client.v1.events.list(options={"stripe_account": account.id})

    assert standin.webhooks.attempts() == []
    assert [e.type for e in events.data] == ["account.updated"]
    assert events.data[0].pending_webhooks == 0


def test_events_are_listed_per_account_and_by_type(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice)
    stripe_standin.driver.pay(session.id)
    options = {"stripe_account": practice}

    theirs = stripe_client.v1.events.list(params={"type": "checkout.session.*"}, options=options)
    platform = stripe_client.v1.events.list()

    assert [e.type for e in theirs.data] == ["checkout.session.completed"]
    assert theirs.data[0].request.id is None
    assert platform.data == []

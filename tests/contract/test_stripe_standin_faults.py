"""The Stripe stand-in's fault switches as the official `stripe` SDK meets them: rate
limits, outages and slow answers, and how idempotency keys make retrying them safe."""

from __future__ import annotations

import pytest
import stripe
from stripe import StripeClient
from stripe_scenario import client_for

from sandbox.stripe import StripeStandIn

EXPRESS = {"type": "express", "country": "US"}


def test_a_rate_limit_surfaces_as_rate_limit_error_and_passes(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    stripe_standin.faults.rate_limit(times=1)

    with pytest.raises(stripe.RateLimitError) as limited:
        stripe_client.v1.accounts.create(params=EXPRESS)

    assert limited.value.http_status == 429
    assert stripe_client.v1.accounts.create(params=EXPRESS).id.startswith("acct_")


def test_an_outage_surfaces_as_api_error_until_cleared(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    stripe_standin.faults.outage(times=None)

    with pytest.raises(stripe.APIError) as first:
        stripe_client.v1.events.list()
    with pytest.raises(stripe.APIError):
        stripe_client.v1.events.list()
    stripe_standin.faults.clear()

    assert first.value.http_status == 500
    assert stripe_client.v1.events.list().data == []


def test_the_sdk_retries_an_outage_with_the_same_key_and_creates_one_account(
    stripe_standin: StripeStandIn,
) -> None:
    retrying = client_for(stripe_standin, max_network_retries=1)
    stripe_standin.faults.outage(times=1, path="/v1/accounts")

    account = retrying.v1.accounts.create(params=EXPRESS)

    attempts = stripe_standin.requests("/v1/accounts", method="POST")
    assert [a.status for a in attempts] == [500, 200]
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert attempts[1].response["id"] == account.id


def test_a_slow_answer_times_out_and_the_retry_replays_the_work_already_done(
    stripe_standin: StripeStandIn,
) -> None:
    impatient = client_for(stripe_standin, http_client=stripe.RequestsClient(timeout=0.3))
    stripe_standin.faults.delay(1.0, times=1)

    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.accounts.create(params=EXPRESS, options={"idempotency_key": "slow-1"})
    retried = impatient.v1.accounts.create(params=EXPRESS, options={"idempotency_key": "slow-1"})

    first, again = stripe_standin.requests("/v1/accounts", method="POST")
    assert first.status == 200
    assert again.replayed is True
    assert retried.id == first.response["id"]


def test_a_fault_can_be_limited_to_one_path(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    stripe_standin.faults.rate_limit(times=None, path="/v1/checkout/sessions")

    assert stripe_client.v1.events.list().object == "list"
    with pytest.raises(stripe.RateLimitError):
        stripe_client.v1.checkout.sessions.list()

"""Connect Express accounts on the Stripe stand-in, through the official `stripe` SDK:
creating (with idempotency keys), onboarding through an Account Link's page, login links,
updates, requirements and disconnection."""

from __future__ import annotations

import httpx
import pytest
import stripe
from stripe import StripeClient
from stripe_scenario import AppSite, an_express_account, client_for

from sandbox.stripe import ManualClock, StripeStandIn

EXPRESS = {"type": "express", "country": "US", "email": "billing@sunrise.example"}


def onboarding_link(client: StripeClient, account_id: str, app: AppSite) -> str:
    link = client.v1.account_links.create(
        params={
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": f"{app.url}/stripe/refresh",
            "return_url": f"{app.url}/stripe/return",
        }
    )
    return link.url


def test_a_new_express_account_cannot_charge_until_onboarded(stripe_client: StripeClient) -> None:
    account = stripe_client.v1.accounts.create(
        params={
            **EXPRESS,
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"practice_id": "17"},
        }
    )

    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert account.type == "express"
    assert account.controller.stripe_dashboard.type == "express"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert "external_account" in account.requirements.currently_due
    assert "tos_acceptance.date" in account.requirements.past_due
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert account.metadata.to_dict() == {"practice_id": "17"}
    assert account.default_currency == "usd"


def test_the_same_idempotency_key_replays_the_first_answer(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    first = stripe_client.v1.accounts.create(
        params=EXPRESS, options={"idempotency_key": "connect:practice:17"}
    )

    again = stripe_client.v1.accounts.create(
        params=EXPRESS, options={"idempotency_key": "connect:practice:17"}
    )

    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_standin.requests("/v1/accounts", method="POST")) == 2
    assert len(stripe_standin.driver.events()) == 0


def test_the_same_idempotency_key_with_other_parameters_is_refused(
    stripe_client: StripeClient,
) -> None:
    stripe_client.v1.accounts.create(params=EXPRESS, options={"idempotency_key": "k-17"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        stripe_client.v1.accounts.create(
            params={**EXPRESS, "country": "GB"}, options={"idempotency_key": "k-17"}
        )

    assert refused.value.http_status == 400
    assert "k-17" in refused.value.user_message


def test_finishing_onboarding_enables_the_account_and_sends_account_updated(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite
) -> None:
    account = an_express_account(stripe_client, stripe_standin, onboarded=False)
    url = onboarding_link(stripe_client, account.id, app)

    with httpx.Client() as browser:
        page = browser.get(url)
        finished = browser.post(url, data={"action": "finish"})

    assert page.status_code == 200
    assert "Finish onboarding" in page.text
    assert finished.status_code == 303
    assert finished.headers["location"] == f"{app.url}/stripe/return"
    enabled = stripe_client.v1.accounts.retrieve(account.id)
    assert (enabled.charges_enabled, enabled.payouts_enabled, enabled.details_submitted) == (
        True,
        True,
        True,
    )
    assert enabled.requirements.currently_due == []
    assert enabled.requirements.disabled_reason is None
    assert enabled.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    delivery = stripe_standin.driver.wait_for_deliveries(1)[0]
    event = stripe_client.construct_event(
        delivery.payload, delivery.signature, stripe_standin.webhook_secret
    )
    assert event.type == "account.updated"
    assert event.account == account.id
    assert event.data.object["charges_enabled"] is True
    assert event.data.previous_attributes["charges_enabled"] is False


def test_leaving_onboarding_early_returns_without_enabling_the_account(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite
) -> None:
    account = an_express_account(stripe_client, stripe_standin, onboarded=False)
    url = onboarding_link(stripe_client, account.id, app)

    with httpx.Client() as browser:
        browser.get(url)
        left = browser.post(url, data={"action": "exit"})

    assert left.headers["location"] == f"{app.url}/stripe/return"
    assert stripe_client.v1.accounts.retrieve(account.id).charges_enabled is False
    assert stripe_standin.driver.events("account.updated") == []


def test_a_used_or_expired_account_link_sends_the_person_to_refresh_url(
    stripe_client: StripeClient, app: AppSite
) -> None:
    clock = ManualClock()
    with StripeStandIn(clock=clock) as standin:
        client = client_for(standin)
        account = an_express_account(client, standin, onboarded=False)
        used = onboarding_link(client, account.id, app)
        expired = onboarding_link(client, account.id, app)

        with httpx.Client() as browser:
            browser.get(used)
            reopened = browser.get(used)
            clock.advance(301)
            late = browser.get(expired)

    assert reopened.status_code == 303
    assert reopened.headers["location"] == f"{app.url}/stripe/refresh"
    assert late.headers["location"] == f"{app.url}/stripe/refresh"


def test_a_login_link_opens_the_express_dashboard_once(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    account = an_express_account(stripe_client, stripe_standin)

    link = stripe_client.v1.accounts.login_links.create(account.id)
    with httpx.Client() as browser:
        dashboard = browser.get(link.url)
        again = browser.get(link.url)

    assert link.object == "login_link"
    assert dashboard.status_code == 200
    assert "Sunrise Therapy" in dashboard.text
    assert "Charges: on" in dashboard.text
    assert again.status_code == 410


def test_no_login_link_before_onboarding(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    account = an_express_account(stripe_client, stripe_standin, onboarded=False)

    with pytest.raises(stripe.InvalidRequestError, match="not completed onboarding"):
        stripe_client.v1.accounts.login_links.create(account.id)


def test_an_update_sends_account_updated_with_what_changed(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    account = an_express_account(stripe_client, stripe_standin, onboarded=False)

    updated = stripe_client.v1.accounts.update(
        account.id,
        params={"business_profile": {"url": "https://sunrise.example"}, "metadata": {"a": "1"}},
    )

    assert updated.business_profile.url == "https://sunrise.example"
    assert "business_profile.url" not in updated.requirements.currently_due
    [event] = stripe_standin.driver.events("account.updated")
    assert event["data"]["previous_attributes"]["business_profile"] == {"url": None}
    assert event["account"] == account.id


def test_new_requirements_disable_charges_and_say_what_is_due(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    account = an_express_account(stripe_client, stripe_standin)

    stripe_standin.driver.set_requirements(
        account.id,
        currently_due=["individual.verification.document"],
        past_due=["individual.verification.document"],
        disabled_reason="requirements.past_due",
        charges_enabled=False,
    )

    seen = stripe_client.v1.accounts.retrieve(account.id)
    assert seen.charges_enabled is False
    assert seen.requirements.currently_due == ["individual.verification.document"]
    assert seen.requirements.disabled_reason == "requirements.past_due"
    assert stripe_standin.driver.events("account.updated")[-1]["data"]["previous_attributes"][
        "charges_enabled"
    ]


def test_a_disconnected_account_is_out_of_reach(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    account = an_express_account(stripe_client, stripe_standin)

    event = stripe_standin.driver.deauthorize(account.id)

    assert event["type"] == "account.application.deauthorized"
    assert event["account"] == account.id
    assert event["data"]["object"]["object"] == "application"
    with pytest.raises(stripe.PermissionError, match="does not have access"):
        stripe_client.v1.accounts.retrieve(account.id)
    with pytest.raises(stripe.PermissionError):
        stripe_client.v1.checkout.sessions.list(options={"stripe_account": account.id})


def test_an_account_is_visible_to_itself_but_not_to_another(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    ours = an_express_account(stripe_client, stripe_standin)
    theirs = an_express_account(stripe_client, stripe_standin)

    itself = stripe_client.v1.accounts.retrieve_current(options={"stripe_account": ours.id})

    assert itself.id == ours.id
    with pytest.raises(stripe.PermissionError):
        stripe_client.v1.accounts.retrieve(theirs.id, options={"stripe_account": ours.id})


def test_a_wrong_or_missing_key_is_refused(stripe_standin: StripeStandIn) -> None:
    wrong = StripeClient(
        "sk_test_not_the_key",
        base_addresses={"api": stripe_standin.base_url, "connect": stripe_standin.base_url},
    )

    with pytest.raises(stripe.AuthenticationError, match="Invalid API Key"):
        wrong.v1.accounts.create(params=EXPRESS)
    answer = httpx.post(f"{stripe_standin.base_url}/v1/accounts", data={"type": "express"})
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert "did not provide an API key" in answer.json()["error"]["message"]


def test_only_express_accounts_in_known_countries(stripe_client: StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as standard:
        stripe_client.v1.accounts.create(params={**EXPRESS, "type": "standard"})
    with pytest.raises(stripe.InvalidRequestError) as nowhere:
        stripe_client.v1.accounts.create(params={**EXPRESS, "country": "XX"})

    assert standard.value.param == "type"
    assert nowhere.value.param == "country"

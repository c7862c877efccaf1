"""Checkout Sessions on the Stripe stand-in, through the official `stripe` SDK: creating them
on a connected account, reading, listing and expiring them, who can see them, and the
parameters Stripe refuses."""

from __future__ import annotations

import httpx
import pytest
import stripe
from stripe import StripeClient
from stripe_scenario import a_checkout_session, an_express_account, client_for, line_item

from sandbox.stripe import ManualClock, StripeStandIn


@pytest.fixture
def practice(stripe_client: StripeClient, stripe_standin: StripeStandIn) -> str:
    return an_express_account(stripe_client, stripe_standin).id


def test_a_session_on_a_connected_account_is_open_and_unpaid(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(
        stripe_client,
        practice,
        amount=12_000,
        payment_intent_data={"application_fee_amount": 200, "metadata": {"invoice_id": "42"}},
    )

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (12_000, "usd")
    assert session.payment_intent is None
    assert session.url == f"{stripe_standin.base_url}/c/pay/{session.id}"
    assert session.metadata.to_dict() == {"invoice_id": "42"}
    assert session.expires_at - session.created == 24 * 3600
    page = httpx.get(session.url)
    assert page.status_code == 200
    assert "$120.00" in page.text
    assert "Sunrise Therapy" in page.text


def test_a_session_is_retrieved_with_expansions(stripe_client: StripeClient, practice: str) -> None:
    session = a_checkout_session(stripe_client, practice)

    seen = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]}, options={"stripe_account": practice}
    )

    [item] = seen.line_items.data
    assert item.object == "item"
    assert item.description == "Invoice INV-0042"
    assert item.price.unit_amount == 12_000
    assert seen.line_items.url == f"/v1/checkout/sessions/{session.id}/line_items"


def test_a_session_of_one_account_is_invisible_to_another_and_to_the_platform(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    other = an_express_account(stripe_client, stripe_standin).id
    session = a_checkout_session(stripe_client, practice)

    with pytest.raises(stripe.InvalidRequestError) as from_other:
        stripe_client.v1.checkout.sessions.retrieve(session.id, options={"stripe_account": other})
    with pytest.raises(stripe.InvalidRequestError) as from_platform:
        stripe_client.v1.checkout.sessions.retrieve(session.id)

    for refused in (from_other.value, from_platform.value):
        assert refused.http_status == 404
        assert refused.code == "resource_missing"
    assert stripe_client.v1.checkout.sessions.list(options={"stripe_account": other}).data == []


def test_sessions_are_listed_newest_first_in_pages(
    stripe_client: StripeClient, practice: str
) -> None:
    made = [a_checkout_session(stripe_client, practice).id for _ in range(5)]
    stripe_client.v1.checkout.sessions.expire(made[0], options={"stripe_account": practice})

    first = stripe_client.v1.checkout.sessions.list(
        params={"limit": 2}, options={"stripe_account": practice}
    )
    every = [s.id for s in first.auto_paging_iter()]
    open_ones = stripe_client.v1.checkout.sessions.list(
        params={"status": "open", "created": {"gte": 0}}, options={"stripe_account": practice}
    )

    assert first.object == "list"
    assert first.url == "/v1/checkout/sessions"
    assert first.has_more is True
    assert [s.id for s in first.data] == made[:-3:-1]
    assert every == made[::-1]
    assert [s.id for s in open_ones.data] == made[:0:-1]


def test_expiring_a_session_closes_it_and_sends_checkout_session_expired(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice)

    expired = stripe_client.v1.checkout.sessions.expire(
        session.id, options={"stripe_account": practice}
    )

    assert (expired.status, expired.url) == ("expired", None)
    [event] = stripe_standin.driver.events("checkout.session.expired")
    assert event["account"] == practice
    assert httpx.get(session.url).status_code == 410
    with pytest.raises(stripe.InvalidRequestError, match="only a Checkout Session whose status"):
        stripe_client.v1.checkout.sessions.expire(session.id, options={"stripe_account": practice})


def test_a_session_expires_by_itself_at_expires_at() -> None:
    clock = ManualClock()
    with StripeStandIn(clock=clock) as standin:
        client = client_for(standin)
        practice = an_express_account(client, standin).id
        session = a_checkout_session(client, practice, expires_at=int(clock()) + 3600)

        clock.advance(3600)
        seen = client.v1.checkout.sessions.retrieve(
            session.id, options={"stripe_account": practice}
        )

    assert seen.status == "expired"
    assert [e["type"] for e in standin.driver.events("checkout.session.*")] == [
        "checkout.session.expired"
    ]


@pytest.mark.parametrize(
    ("currency", "too_small", "enough", "shown"),
    [
        ("usd", 49, 50, "$0.50 usd"),
        ("eur", 49, 50, "€0.50 eur"),
        ("gbp", 29, 30, "£0.30 gbp"),
        ("jpy", 49, 50, "¥50 jpy"),
    ],
)
def test_a_total_under_stripes_minimum_charge_is_refused(
    stripe_client: StripeClient,
    practice: str,
    currency: str,
    too_small: int,
    enough: int,
    shown: str,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        a_checkout_session(stripe_client, practice, amount=too_small, currency=currency)

    assert refused.value.code == "amount_too_small"
    assert refused.value.user_message.endswith(f"at least {shown}")
    assert a_checkout_session(stripe_client, practice, amount=enough, currency=currency).id


def test_a_zero_decimal_currency_is_shown_without_decimals(
    stripe_client: StripeClient, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice, amount=5000, currency="jpy")

    assert "¥5,000" in httpx.get(session.url).text


def test_misspelt_and_missing_parameters_are_refused_naming_the_parameter(
    stripe_client: StripeClient, practice: str
) -> None:
    options = {"stripe_account": practice}
    misspelt_item = line_item(1000)
    misspelt_item["price_data"]["prodcut_data"] = misspelt_item["price_data"].pop("product_data")

    with pytest.raises(stripe.InvalidRequestError) as top:
        stripe_client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [line_item(1000)], "sucess_url": "x"},
            options=options,  # type: ignore[arg-type]
        )
    with pytest.raises(stripe.InvalidRequestError) as nested:
        stripe_client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [misspelt_item]},
            options=options,  # type: ignore[arg-type]
        )
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.checkout.sessions.create(
            params={"line_items": [line_item(1000)]},
            options=options,  # type: ignore[arg-type]
        )
    with pytest.raises(stripe.InvalidRequestError) as not_a_number:
        stripe_client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [{**line_item(1000), "quantity": "two"}]},
            options=options,  # type: ignore[arg-type]
        )

    assert top.value.param == "sucess_url"
    assert top.value.code == "parameter_unknown"
    assert "Did you mean success_url?" in top.value.user_message
    assert nested.value.param == "line_items[0][price_data][prodcut_data]"
    assert missing.value.param == "mode"
    assert missing.value.code == "parameter_missing"
    assert not_a_number.value.param == "line_items[0][quantity]"
    assert not_a_number.value.code == "parameter_invalid_integer"


def test_a_direct_charge_needs_an_account_that_may_charge(
    stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    new = an_express_account(stripe_client, stripe_standin, onboarded=False)

    with pytest.raises(stripe.InvalidRequestError, match="cannot currently make charges"):
        a_checkout_session(stripe_client, new.id)


def test_a_destination_charge_lives_on_the_platform(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(
        stripe_client,
        None,
        payment_intent_data={
            "application_fee_amount": 300,
            "on_behalf_of": practice,
            "transfer_data": {"destination": practice},
        },
    )

    payment = stripe_standin.driver.pay(session.id)

    charge = stripe_client.v1.charges.retrieve(payment.charge["id"])
    assert charge.transfer_data.destination == practice
    assert charge.on_behalf_of == practice
    assert charge.transfer.startswith("tr_")
    assert charge.application_fee.startswith("fee_")
    assert "Sunrise Therapy" in httpx.get(charge.receipt_url).text
    payment_events = stripe_standin.driver.events("[cp]*")
    assert [e["type"] for e in payment_events][-1] == "checkout.session.completed"
    assert all("account" not in event for event in payment_events)


def test_an_application_fee_needs_a_direct_or_destination_charge(
    stripe_client: StripeClient, practice: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        a_checkout_session(stripe_client, None, payment_intent_data={"application_fee_amount": 100})

    assert refused.value.param == "payment_intent_data[application_fee_amount]"


def test_a_parameter_the_stand_in_does_not_model_is_refused_rather_than_ignored(
    stripe_client: StripeClient, practice: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        a_checkout_session(stripe_client, practice, allow_promotion_codes=True)

    assert refused.value.param == "allow_promotion_codes"
    assert "does not support" in refused.value.user_message


def test_idempotency_keys_are_scoped_to_the_account_they_are_used_on(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    other = an_express_account(stripe_client, stripe_standin).id

    def create(account: str) -> str:
        return stripe_client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [line_item(1000)]},
            options={"stripe_account": account, "idempotency_key": "pay:invoice:42"},
        ).id

    ours, theirs, ours_again = create(practice), create(other), create(practice)

    assert ours != theirs
    assert ours_again == ours


def test_array_parameters_also_arrive_in_the_empty_brackets_form(
    stripe_standin: StripeStandIn, stripe_client: StripeClient, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice)

    answer = httpx.get(
        f"{stripe_standin.base_url}/v1/checkout/sessions/{session.id}?expand[]=line_items",
        headers={
            "Authorization": f"Bearer {stripe_standin.secret_key}",
            "Stripe-Account": practice,
        },
    )

    assert answer.status_code == 200
    assert answer.json()["line_items"]["data"][0]["amount_total"] == 12_000

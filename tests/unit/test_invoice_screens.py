"""The reads behind the invoice screens and the card's bookkeeping, over the in-memory fakes:
the new-invoice form's running totals are the invoice's own, an invoice created issued is open,
a card's place is remembered per practice, and an invoice is found by its number."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.invoice_form import decode_line, encode_line
from domain.errors import NotFound, ValidationError
from domain.ids import InvoiceId
from domain.invoices import CardPlace, InvoiceStatus, LineInput
from domain.money import Money
from domain.ports import Env
from domain.usecases.invoice_screens import (
    invoice_card,
    invoice_numbered,
    new_invoice_form,
    place_card,
)
from domain.usecases.invoicing import (
    CreateInvoice,
    create_invoice,
    issue_invoice,
    preview_lines,
)
from factories import (
    ACTOR,
    a_client,
    a_line,
    a_practice,
    a_service,
    a_tax_rate,
    an_env,
    an_invoice,
)
from fakes import FakeUnitOfWork, FixedClock

PRICES = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999.99"), places=2)
QUANTITIES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100"), places=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(PRICES, QUANTITIES, st.integers(min_value=0, max_value=3)),
        min_size=1,
        max_size=12,
    )
)
def test_the_totals_the_modal_shows_are_the_totals_of_the_invoice_it_creates(
    drawn: list[tuple[Decimal, Decimal, int]],
) -> None:
    uow, (env, _) = FakeUnitOfWork(), an_env()
    practice = a_practice(uow, env)
    rates = [
        None,
        a_tax_rate(uow, env, practice, percent="20"),
        a_tax_rate(uow, env, practice, percent="7.25"),
        a_tax_rate(uow, env, practice, percent="0"),
    ]
    client = a_client(uow, env, practice)
    typed = tuple(
        LineInput(
            service_date=date(2025, 3, 10),
            description="Session",
            quantity=quantity,
            unit_price=Money(price, practice.currency),
            tax_rate_id=rate.id if rate else None,
        )
        for price, quantity, pick in drawn
        for rate in [rates[pick]]
    )
    # The lines travel in the modal as its "Remove" buttons' values.
    carried = tuple(decode_line(encode_line(line), practice.currency) for line in typed)

    shown = preview_lines(practice.id, client.id, carried, uow, env)
    invoice = create_invoice(CreateInvoice(practice.id, ACTOR, client.id, carried), uow, env)

    assert carried == typed
    assert shown.totals == invoice.totals
    assert [line.total for line in shown.lines] == [line.total for line in invoice.lines]


def test_the_preview_of_no_lines_is_a_zero_total_not_an_error(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)

    shown = preview_lines(practice.id, None, (), uow, env)

    assert shown.totals.total == practice.currency.zero() and shown.lines == ()


def test_the_preview_refuses_a_line_the_invoice_would_refuse(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    bad = a_line(practice, quantity="0")

    with pytest.raises(ValidationError) as refused:
        preview_lines(practice.id, None, (bad,), uow, env)

    assert set(refused.value.errors) == {"lines.0.quantity"}


def test_an_invoice_created_issued_is_open_at_once_and_audited_as_issued(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)

    invoice = create_invoice(
        CreateInvoice(practice.id, ACTOR, client.id, (a_line(practice),), issue=True), uow, env
    )

    assert invoice.status is InvoiceStatus.OPEN and invoice.issued_at == env.clock.now()
    with uow:
        actions = [event.action for event in uow.audit.for_subject(practice.id, invoice.id)]
    assert actions == ["invoice.created", "invoice.issued"]


def test_an_invoice_created_issued_with_no_lines_is_refused_and_nothing_is_stored(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)

    with pytest.raises(ValidationError):
        create_invoice(CreateInvoice(practice.id, ACTOR, client.id, (), issue=True), uow, env)

    with uow:
        assert uow.invoices.count(practice.id) == 0


def test_the_form_for_a_typed_client_preselects_the_one_client_matching(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    grace = a_client(uow, env, practice, name="Grace Hopper", email="grace@example.org")
    a_client(uow, env, practice, name="Alan Turing", email="alan@example.org")

    one = new_invoice_form(practice.id, uow, env, client_text="grace")
    ambiguous = new_invoice_form(practice.id, uow, env, client_text="example")

    assert one.prefilled_client == grace and one.prefill.client_id == grace.id
    assert ambiguous.prefilled_client is None


def test_the_form_dates_start_today_and_due_after_the_payment_terms(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)

    form = new_invoice_form(practice.id, uow, env)

    terms = timedelta(days=practice.invoice_settings.payment_terms_days)
    assert form.prefill.issue_date == env.today_at(practice)
    assert form.prefill.due_date == form.prefill.issue_date + terms


def test_the_form_offers_active_services_and_rates_with_the_default_rate(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    rate = a_tax_rate(uow, env, practice, make_default=True)
    service = a_service(uow, env, practice, tax_rate=rate)

    form = new_invoice_form(practice.id, uow, env)

    assert form.services == (service,) and form.tax_rates == (rate,)
    assert form.default_tax_rate_id == rate.id


def test_a_card_shows_overdue_from_the_practices_today(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock
) -> None:
    practice = a_practice(uow, env)
    invoice = an_invoice(uow, env, practice, due_date=env.today_at(practice))

    issue_invoice(practice.id, invoice.id, ACTOR, uow, env)

    assert not invoice_card(practice.id, invoice.id, uow, env).is_overdue
    clock.advance(days=1)
    assert invoice_card(practice.id, invoice.id, uow, env).is_overdue


def test_a_cards_place_is_remembered_and_replaced(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_invoice(uow, env, practice)

    place_card(practice.id, invoice.id, CardPlace("C1", "1.0001"), uow, env)
    place_card(practice.id, invoice.id, CardPlace("C1", "2.0002"), uow, env)

    assert invoice_card(practice.id, invoice.id, uow, env).place == CardPlace("C1", "2.0002")


def test_another_practices_invoice_has_no_card_to_read_or_place(
    uow: FakeUnitOfWork, env: Env
) -> None:
    ours, theirs = a_practice(uow, env), a_practice(uow, env, name="Other")
    invoice = an_invoice(uow, env, theirs)

    with pytest.raises(NotFound):
        invoice_card(ours.id, invoice.id, uow, env)
    with pytest.raises(NotFound):
        place_card(ours.id, invoice.id, CardPlace("C1", "1.0001"), uow, env)
    with pytest.raises(NotFound):
        invoice_numbered(ours.id, invoice.number, uow, env)
    with uow:
        assert uow.invoices.card_place(theirs.id, invoice.id) is None


def test_an_invoice_is_found_by_its_number_in_any_letter_case(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    invoice = an_invoice(uow, env, practice)

    found = invoice_numbered(practice.id, invoice.number.lower(), uow, env)

    assert found.invoice.id == invoice.id
    with pytest.raises(NotFound):
        invoice_numbered(practice.id, "NOPE-1", uow, env)
    with pytest.raises(NotFound):
        invoice_card(practice.id, InvoiceId("missing"), uow, env)

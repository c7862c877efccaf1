"""Where each invoice's card is posted, and invoices found by number, on SQLite and PostgreSQL:
a card's place is kept per practice and replaced when the card is posted again, an invoice
is found by its number in any letter case, and neither reaches into another practice."""

from __future__ import annotations

import pytest
from storage_scenario import ADMIN, a_practice_with_records, an_invoice

from domain.errors import NotFound
from domain.invoices import CardPlace, LineInput
from domain.usecases import invoice_screens, invoicing


def test_a_cards_place_is_kept_and_replaced_when_posted_again(new_uow, env):
    setup = a_practice_with_records(new_uow(), env)
    invoice = an_invoice(new_uow(), env, setup)

    invoice_screens.place_card(
        setup.practice.id, invoice.id, CardPlace("C0BILLING", "1700000000.000100"), new_uow(), env
    )
    invoice_screens.place_card(
        setup.practice.id, invoice.id, CardPlace("C0BILLING", "1700000009.000200"), new_uow(), env
    )

    card = invoice_screens.invoice_card(setup.practice.id, invoice.id, new_uow(), env)
    assert card.place == CardPlace("C0BILLING", "1700000009.000200")


def test_another_practice_can_neither_read_nor_place_a_card(new_uow, env):
    a = a_practice_with_records(new_uow(), env)
    b = a_practice_with_records(new_uow(), env, workspace="T0PRACTICEB", name="Other")
    invoice = an_invoice(new_uow(), env, a)
    invoice_screens.place_card(a.practice.id, invoice.id, CardPlace("C1", "1.1"), new_uow(), env)

    with pytest.raises(NotFound):
        invoice_screens.place_card(
            b.practice.id, invoice.id, CardPlace("C2", "2.2"), new_uow(), env
        )
    with pytest.raises(NotFound):
        invoice_screens.invoice_card(b.practice.id, invoice.id, new_uow(), env)
    with pytest.raises(NotFound):
        invoice_screens.invoice_numbered(b.practice.id, invoice.number, new_uow(), env)
    with new_uow() as uow:
        assert uow.invoices.card_place(b.practice.id, invoice.id) is None
        assert uow.invoices.card_place(a.practice.id, invoice.id) == CardPlace("C1", "1.1")


def test_an_invoice_is_found_by_its_number_in_any_letter_case(new_uow, env):
    setup = a_practice_with_records(new_uow(), env)
    invoice = an_invoice(new_uow(), env, setup)

    found = invoice_screens.invoice_numbered(
        setup.practice.id, f"  {invoice.number.lower()} ", new_uow(), env
    )

    assert found.invoice == invoice


def test_an_invoice_created_issued_is_stored_open(new_uow, env):
    setup = a_practice_with_records(new_uow(), env)
    draft = an_invoice(new_uow(), env, setup)
    command = invoicing.CreateInvoice(
        setup.practice.id,
        ADMIN,
        setup.client.id,
        (
            LineInput(
                draft.lines[0].service_date,
                "Session",
                draft.lines[0].quantity,
                draft.lines[0].unit_price,
            ),
        ),
        issue=True,
    )

    created = invoicing.create_invoice(command, new_uow(), env)

    with new_uow() as uow:
        stored = uow.invoices.get(setup.practice.id, created.id)
    assert stored == created and stored.status.value == "open"

"""Invoice numbers with any prefix the settings accept: stored, and listed newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime

from storage_scenario import ADMIN, a_practice_with_records, an_invoice

from domain.ports import InvoiceFilter
from domain.usecases import reporting, settings


def set_prefix(uow, env, setup, prefix):
    settings.configure_invoice_settings(
        settings.ConfigureInvoiceSettings(setup.practice.id, ADMIN, "classic", "slate", 14, prefix),
        uow,
        env,
    )


def latest_numbers(uow, practice_id):
    with uow:
        overview = uow.invoices.overview(
            practice_id,
            latest=10,
            today=date(2026, 11, 25),
            received_from=datetime(2026, 1, 1, tzinfo=UTC),
            received_to=datetime(2027, 1, 1, tzinfo=UTC),
        )
    return [listing.number for listing in overview.latest]


def test_invoices_list_newest_first_after_a_prefix_ending_in_a_digit(uow, env):
    setup = a_practice_with_records(uow, env)
    set_prefix(uow, env, setup, "A1")
    first = an_invoice(uow, env, setup, lines=1)
    set_prefix(uow, env, setup, "INV-")

    second = an_invoice(uow, env, setup, lines=1)

    assert [first.number, second.number] == ["A10001", "INV-0002"]
    assert latest_numbers(uow, setup.practice.id) == ["INV-0002", "A10001"]
    found = reporting.list_invoices(setup.practice.id, InvoiceFilter(), uow)
    assert [invoice.number for invoice in found] == ["INV-0002", "A10001"]


def test_invoices_are_created_with_a_prefix_of_twelve_digits(uow, env):
    setup = a_practice_with_records(uow, env)
    set_prefix(uow, env, setup, "999999999999")

    numbers = [an_invoice(uow, env, setup, lines=1).number for _ in range(2)]

    assert numbers == ["9999999999990001", "9999999999990002"]
    assert latest_numbers(uow, setup.practice.id) == ["9999999999990002", "9999999999990001"]

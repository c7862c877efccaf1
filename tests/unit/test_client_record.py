"""The reads behind `/client`: searching as the database does, paging A-Z, and a client's
record with its appointments, their invoices, the invoices and what is still owed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NotFound
from domain.invoices import InvoiceStatus
from domain.money import Money
from domain.ports import Env
from domain.practice import Practice
from domain.usecases.client_record import (
    INVOICES_SHOWN,
    PAGE_SIZE,
    PAST_SHOWN,
    UPCOMING_SHOWN,
    client_page,
    client_record,
    find_clients,
)
from domain.usecases.invoicing import void_invoice
from factories import (
    ACTOR,
    a_client,
    a_line,
    a_payment,
    a_practice,
    a_service,
    an_appointment,
    an_invoice,
    an_issued_invoice,
)
from fakes import FakeUnitOfWork, FixedClock


@pytest.fixture
def practice(uow: FakeUnitOfWork, env: Env) -> Practice:
    return a_practice(uow, env, currency="EUR")


# -- finding --------------------------------------------------------------------------------


def test_a_search_ignores_case_and_accents(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_client(uow, env, practice, name="Zoë Saldaña", email="zs@example.org")
    a_client(uow, env, practice, name="Jürgen Müller", email="jm@example.org")

    assert [c.name for c in find_clients(practice.id, "ZOE", 5, uow, env).clients] == [
        "Zoë Saldaña"
    ]
    assert [c.name for c in find_clients(practice.id, "muller", 5, uow, env).clients] == [
        "Jürgen Müller"
    ]


def test_a_search_matching_many_lists_the_best_and_counts_the_rest(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    for number in range(7):
        a_client(uow, env, practice, name=f"Sam Example {number}", email=f"s{number}@x.org")
    a_client(uow, env, practice, name="Sam", email="sam@x.org")

    found = find_clients(practice.id, "sam", 3, uow, env)

    assert [c.name for c in found.clients] == ["Sam", "Sam Example 0", "Sam Example 1"]
    assert (found.total, found.more) == (8, 5)


def test_a_search_of_only_accents_or_spaces_finds_nobody(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_client(uow, env, practice)

    assert find_clients(practice.id, " \u0301 ", 5, uow, env).total == 0


def test_another_practices_clients_are_not_found(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_client(uow, env, a_practice(uow, env), name="Zoë Elsewhere")

    assert find_clients(practice.id, "zoe", 5, uow, env).total == 0
    assert client_page(practice.id, 0, uow, env).total == 0


# -- the list -------------------------------------------------------------------------------


def test_the_list_pages_a_to_z_twenty_at_a_time(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    for number in range(PAGE_SIZE + 5):
        a_client(uow, env, practice, name=f"Client {number:02d}", email=f"c{number}@x.org")
    a_client(uow, env, practice, name="Émile Zola", email="ez@x.org")

    first = client_page(practice.id, 0, uow, env)
    second = client_page(practice.id, first.next_offset or 0, uow, env)

    assert len(first.clients) == PAGE_SIZE
    assert first.clients[0].name == "Client 00"
    assert (first.previous_offset, first.next_offset) == (None, PAGE_SIZE)
    assert [c.name for c in second.clients][-2:] == ["Client 24", "Émile Zola"]
    assert (second.previous_offset, second.next_offset, second.total) == (0, None, 26)


def test_a_page_past_the_end_shows_the_last_page(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    for number in range(3):
        a_client(uow, env, practice, name=f"Client {number}", email=f"c{number}@x.org")

    page = client_page(practice.id, 40, uow, env)

    assert (page.offset, len(page.clients)) == (0, 3)


# -- the record -----------------------------------------------------------------------------


def test_the_record_shows_appointments_each_with_the_invoice_that_bills_it(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock, practice: Practice
) -> None:
    client = a_client(uow, env, practice)
    service = a_service(uow, env, practice, name="Counselling")
    now = clock.now()
    billed = an_appointment(
        uow, env, practice, client=client, service=service, start=now - timedelta(days=3)
    )
    moved = an_appointment(
        uow, env, practice, client=client, service=service, start=now - timedelta(days=2)
    )
    unbilled = an_appointment(
        uow, env, practice, client=client, service=service, start=now - timedelta(days=1)
    )
    soon = an_appointment(
        uow, env, practice, client=client, service=service, start=now + timedelta(days=1)
    )
    an_appointment(uow, env, practice, start=now + timedelta(days=2))  # another client's
    invoice = an_issued_invoice(
        uow, env, practice, client=client, lines=[a_line(practice, appointment=billed)]
    )
    voided = an_invoice(
        uow, env, practice, client=client, lines=[a_line(practice, appointment=moved)]
    )
    void_invoice(practice.id, voided.id, "wrong date", ACTOR, uow, env)

    record = client_record(practice.id, client.id, uow, env)

    assert [e.appointment.id for e in record.upcoming] == [soon.id]
    assert [e.appointment.id for e in record.past] == [unbilled.id, moved.id, billed.id]
    invoice_of = {e.appointment.id: e.invoice for e in record.past}
    assert invoice_of[unbilled.id] is None
    assert invoice_of[moved.id] is None  # its invoice is void, so it is free to bill again
    billing = invoice_of[billed.id]
    assert billing is not None and (billing.number, billing.status) == (
        invoice.number,
        InvoiceStatus.OPEN,
    )
    assert {e.service for e in record.past} == {"Counselling"}


def test_an_appointment_on_an_invoice_older_than_those_listed_still_shows_it(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock, practice: Practice
) -> None:
    client = a_client(uow, env, practice)
    old = an_appointment(uow, env, practice, client=client)
    first = an_issued_invoice(
        uow, env, practice, client=client, lines=[a_line(practice, appointment=old)]
    )
    a_payment(uow, env, practice, first, str(first.total.amount))
    for _ in range(INVOICES_SHOWN + 2):
        an_invoice(uow, env, practice, client=client, lines=1)

    record = client_record(practice.id, client.id, uow, env)

    assert record.more_invoices
    assert first.id not in [i.id for i in record.invoices]
    [entry] = record.past
    assert entry.invoice is not None and entry.invoice.status is InvoiceStatus.PAID


def test_the_record_totals_what_is_still_owed_across_every_unpaid_invoice(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    client = a_client(uow, env, practice)
    an_issued_invoice(uow, env, practice, client=client, lines=1, price="100.00")
    partly = an_issued_invoice(uow, env, practice, client=client, lines=1, price="80.00")
    a_payment(uow, env, practice, partly, "30.00")
    an_invoice(uow, env, practice, client=client, lines=1, price="999.00")  # a draft owes nothing
    an_issued_invoice(uow, env, practice, lines=1, price="500.00")  # another client's

    record = client_record(practice.id, client.id, uow, env)

    [owed] = record.owed
    # 100.00 open, and 80.00 less the 30.00 paid.
    assert owed.outstanding == Money.of("150.00", "EUR")
    assert owed.unpaid_count == 2
    assert [i.status for i in record.invoices] == [
        InvoiceStatus.DRAFT,
        InvoiceStatus.PARTIALLY_PAID,
        InvoiceStatus.OPEN,
    ]


def test_a_client_who_owes_nothing_has_no_balance_and_few_appointments_none_more(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    client = a_client(uow, env, practice)

    record = client_record(practice.id, client.id, uow, env)

    assert record.owed == ()
    assert (record.upcoming, record.past, record.invoices) == ((), (), ())
    assert (record.more_upcoming, record.more_past, record.more_invoices) == (0, 0, False)


def test_the_record_lists_the_nearest_appointments_and_counts_the_others(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock, practice: Practice
) -> None:
    client = a_client(uow, env, practice)
    service = a_service(uow, env, practice)
    now = clock.now()
    for day in range(1, UPCOMING_SHOWN + 3):
        an_appointment(
            uow, env, practice, client=client, service=service, start=now + timedelta(days=day)
        )
    for day in range(1, PAST_SHOWN + 2):
        an_appointment(
            uow, env, practice, client=client, service=service, start=now - timedelta(days=day)
        )

    record = client_record(practice.id, client.id, uow, env)

    assert record.upcoming[0].appointment.start == now + timedelta(days=1)
    assert record.past[0].appointment.start == now - timedelta(days=1)
    assert (record.more_upcoming, record.more_past) == (2, 1)


def test_another_practices_client_has_no_record_here(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    theirs = a_client(uow, env, a_practice(uow, env))

    with pytest.raises(NotFound):
        client_record(practice.id, theirs.id, uow, env)


def test_reading_a_record_changes_nothing(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    client = a_client(uow, env, practice)
    an_issued_invoice(uow, env, practice, client=client, lines=1)
    before = uow.committed

    client_record(practice.id, client.id, uow, env)

    assert uow.committed == before

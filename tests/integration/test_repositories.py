"""What the use cases store comes back exactly as it was, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from storage_scenario import ADMIN, a_practice_with_records, an_invoice

from domain.invoices import InvoiceListing, InvoiceStatus, UnpaidTotals
from domain.money import Money
from domain.payments import EntryKind
from domain.ports import InvoiceFilter
from domain.usecases import invoicing, payments, records, reporting, settings

# Wide enough to hold every payment a test records, whatever the clock says.
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def overview(uow, practice_id, today, latest=10, received=EVER):
    start, end = received
    return uow.invoices.overview(
        practice_id, latest=latest, today=today, received_from=start, received_to=end
    )


def newest(uow, practice_id, count):
    return overview(uow, practice_id, date(2100, 1, 1), latest=count).latest


PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def test_practice_settings_survive_a_round_trip(uow, env):
    setup = a_practice_with_records(uow, env)
    settings.configure_billing_details(
        settings.ConfigureBillingDetails(
            setup.practice.id,
            ADMIN,
            "Calm Minds Therapy",
            "USD",
            "Europe/London",
            address_line1="1 High Street",
            city="London",
            postal_code="N1 9GU",
            country="gb",
            tax_number="GB123456789",
            licence_number="HCPC-42",
            privacy_mode=False,
        ),
        uow,
        env,
    )
    settings.configure_invoice_settings(
        settings.ConfigureInvoiceSettings(
            setup.practice.id,
            ADMIN,
            "modern",
            "ocean",
            "30",
            "CM-",
            "Licensed",
            "Thank you",
            new_logo=settings.LogoUpload("logo.png", PNG),
        ),
        uow,
        env,
    )
    expected = settings.configure_reminders(
        settings.ConfigureReminders(setup.practice.id, ADMIN, True, "14, -3, 0, 7", "08:30"),
        uow,
        env,
    )

    with uow:
        stored = uow.practices.get(setup.practice.id)

    assert stored == expected
    assert stored.billing.address.country == "GB"
    assert stored.reminder_policy.offsets == (-3, 0, 7, 14)
    assert stored.reminder_policy.send_time == time(8, 30)
    assert stored.invoice_settings.format_number(42) == "CM-0042"
    assert stored.default_tax_rate_id == setup.rate.id
    with uow:
        logo = uow.logos.get(setup.practice.id, stored.invoice_settings.logo_ref)
    assert (logo.content_type, logo.content) == ("image/png", PNG)


def test_invoice_with_lines_and_payments_comes_back_identical(uow, env):
    setup = a_practice_with_records(uow, env)
    invoice = an_invoice(uow, env, setup, lines=5)
    invoice = invoicing.issue_invoice(setup.practice.id, invoice.id, ADMIN, uow, env)
    invoice = payments.record_manual_payment(
        payments.RecordPayment(setup.practice.id, ADMIN, invoice.id, "100.00", "cash"), uow, env
    )
    invoice = payments.record_manual_refund(
        payments.RecordPayment(
            setup.practice.id, ADMIN, invoice.id, "20.00", "bank_transfer", reference="REF-1"
        ),
        uow,
        env,
    )

    with uow:
        stored = uow.invoices.get(setup.practice.id, invoice.id)

    assert stored == invoice
    assert stored.totals == invoice.totals
    assert [entry.kind for entry in stored.ledger] == [EntryKind.PAYMENT, EntryKind.REFUND]
    assert stored.amount_paid.amount == Decimal("80.00")
    assert stored.status is InvoiceStatus.PARTIALLY_PAID
    assert stored.lines[1].quantity == Decimal("1.5")
    assert stored.lines[0].tax_percent == Decimal("8.875")


def test_invoice_lists_filter_in_the_database(uow, env):
    setup = a_practice_with_records(uow, env)
    draft = an_invoice(uow, env, setup, lines=1)
    issued = invoicing.issue_invoice(
        setup.practice.id, an_invoice(uow, env, setup, lines=2).id, ADMIN, uow, env
    )

    open_ones = reporting.list_invoices(
        setup.practice.id, InvoiceFilter(statuses=frozenset({InvoiceStatus.OPEN})), uow
    )
    overdue_later = reporting.list_invoices(
        setup.practice.id, InvoiceFilter(overdue_on=date(2027, 6, 1)), uow
    )
    all_of_client = reporting.list_invoices(
        setup.practice.id, InvoiceFilter(client_id=setup.client.id), uow
    )

    assert [invoice.number for invoice in open_ones] == [issued.number]
    assert [invoice.number for invoice in overdue_later] == [issued.number]
    assert [invoice.number for invoice in all_of_client] == [issued.number, draft.number]


def test_audit_log_records_who_did_what(uow, env):
    setup = a_practice_with_records(uow, env)
    invoice = an_invoice(uow, env, setup, lines=1)
    invoicing.issue_invoice(setup.practice.id, invoice.id, "U0STAFF01", uow, env)

    with uow:
        events = uow.audit.for_subject(setup.practice.id, invoice.id)

    assert [(event.actor, event.action) for event in events] == [
        (ADMIN, "invoice.created"),
        ("U0STAFF01", "invoice.issued"),
    ]
    assert "Ada" not in repr(events)


def test_latest_invoices_list_newest_first_with_their_clients_and_stored_amounts(uow, env):
    a = a_practice_with_records(uow, env)
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")
    second = records.add_client(
        records.AddClient(
            a.practice.id, ADMIN, records.ClientDetails("Grace Hopper", "grace@example.com")
        ),
        uow,
        env,
    )
    first_invoice = an_invoice(uow, env, a)
    second_invoice = invoicing.issue_invoice(
        a.practice.id, an_invoice(uow, env, replace(a, client=second)).id, ADMIN, uow, env
    )
    second_invoice = payments.record_manual_payment(
        payments.RecordPayment(a.practice.id, ADMIN, second_invoice.id, "25.00", "cash"), uow, env
    )
    an_invoice(uow, env, b)

    with uow:
        latest = newest(uow, a.practice.id, 5)
        only_newest = newest(uow, a.practice.id, 1)

    assert latest == (
        InvoiceListing.of(second_invoice, "Grace Hopper"),
        InvoiceListing.of(first_invoice, "Ada Lovelace"),
    )
    assert latest[0].status is InvoiceStatus.PARTIALLY_PAID
    assert only_newest == latest[:1]


def test_unpaid_and_received_totals_summed_in_the_database_match_the_invoices(uow, env):
    a = a_practice_with_records(uow, env)
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")

    def issued(setup):
        draft = an_invoice(uow, env, setup)
        return invoicing.issue_invoice(setup.practice.id, draft.id, ADMIN, uow, env)

    def pay(invoice, amount, refund=False):
        record = payments.record_manual_refund if refund else payments.record_manual_payment
        command = payments.RecordPayment(a.practice.id, ADMIN, invoice.id, amount, "cash")
        return record(command, uow, env)

    open_one = issued(a)
    partly = pay(pay(issued(a), "50.00"), "10.00", refund=True)
    paid = issued(a)
    pay(paid, paid.total.amount)
    void = issued(a)
    invoicing.void_invoice(a.practice.id, void.id, "sent twice", ADMIN, uow, env)
    an_invoice(uow, env, a)  # a draft
    issued(b)
    before_due = open_one.due_date - timedelta(days=1)
    after_due = max(open_one.due_date, partly.due_date) + timedelta(days=1)

    with uow:
        everything = uow.invoices.find(a.practice.id, InvoiceFilter(limit=100))
        summed = {day: overview(uow, a.practice.id, day) for day in (before_due, after_due)}
        for_b = overview(uow, b.practice.id, after_due)
        # Every payment here was received at the clock's now; a period excludes its end.
        paid_at = env.clock.now()
        periods = [(EVER[0], paid_at), (paid_at + timedelta(microseconds=1), EVER[1])]
        outside = [overview(uow, a.practice.id, after_due, received=p) for p in periods]

    assert summed[before_due].unpaid == tuple(UnpaidTotals.of(everything, before_due))
    assert summed[after_due].unpaid == tuple(UnpaidTotals.of(everything, after_due))
    assert summed[after_due].latest == tuple(
        InvoiceListing.of(invoice, "Ada Lovelace") for invoice in everything
    )
    [late] = summed[after_due].unpaid
    assert (late.unpaid_count, late.overdue_count) == (2, 2)
    assert late.outstanding == open_one.total + partly.balance == late.overdue
    assert partly.balance == partly.total - Money.of("40.00", "USD")
    [early] = summed[before_due].unpaid
    assert (early.unpaid_count, early.overdue_count, early.overdue.is_zero) == (2, 0, True)
    assert summed[after_due].received == (paid.total + Money.of("40.00", "USD"),)
    assert for_b.received == ()
    assert [part.received for part in outside] == [(), ()]
    assert [totals.unpaid_count for totals in for_b.unpaid] == [1]


def test_clients_are_found_by_part_of_their_name_or_email_in_the_database(uow, env):
    a = a_practice_with_records(uow, env)
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")

    def client(name, email):
        details = records.ClientDetails(name, email)
        return records.add_client(records.AddClient(a.practice.id, ADMIN, details), uow, env)

    grace = client("Grace Hopper", "grace@navy.example.org")
    percy = client("Percy 100% Fit", "percy@example.com")
    under = client("Una Derscore", "una_d@example.com")
    client("Unaxd Other", "unaxd@example.com")  # would match "una_d" if _ were a wildcard

    with uow:

        def found(text, limit=10):
            return [c.name for c in uow.clients.matching(a.practice.id, text, limit)]

        assert found("hop") == found("HOP") == [grace.name]
        assert found("navy.example") == [grace.name]
        assert found("100%") == [percy.name]
        assert found("una_d") == [under.name]
        assert found("example.com") == ["Ada Lovelace", percy.name, under.name, "Unaxd Other"]
        assert found("example.com", limit=2) == ["Ada Lovelace", percy.name]
        assert found("nobody") == []
        # Practice B has its own Ada Lovelace, never listed for practice A.
        assert [c.practice_id for c in uow.clients.matching(a.practice.id, "ada", 10)] == [
            a.practice.id
        ]
        assert len(uow.clients.matching(b.practice.id, "example", 10)) == 1

"""Creating, numbering, editing, issuing and voiding invoices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.errors import (
    AppointmentAlreadyInvoiced,
    InvoiceIsVoid,
    InvoiceNotEditable,
    InvoiceStateConflict,
    NotFound,
    StaleEdit,
    ValidationError,
)
from domain.ids import ClientId
from domain.invoices import Invoice, InvoiceStatus, LineInput
from domain.money import Money
from domain.ports import Env, InvoiceFilter
from domain.practice import Practice
from domain.usecases.invoicing import (
    CreateInvoice,
    EditDraft,
    create_invoice,
    create_invoice_from_appointment,
    edit_draft,
    issue_invoice,
    prefill_invoice,
    void_invoice,
)
from domain.usecases.reporting import list_invoices
from domain.usecases.settings import (
    ConfigureInvoiceSettings,
    UpdateTaxRate,
    archive_tax_rate,
    configure_invoice_settings,
    update_tax_rate,
)
from factories import (
    ACTOR,
    a_client,
    a_line,
    a_payment,
    a_practice,
    a_service,
    a_tax_rate,
    an_appointment,
    an_invoice,
    an_issued_invoice,
)
from fakes import FakeUnitOfWork, FixedClock


def stored(uow: FakeUnitOfWork, invoice: Invoice) -> Invoice:
    with uow:
        found = uow.invoices.get(invoice.practice_id, invoice.id)
    assert found is not None
    return found


def edit(
    invoice: Invoice, *lines: LineInput, version: int | None = None, **changes: object
) -> EditDraft:
    fields: dict[str, object] = {
        "client_id": invoice.client_id,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
    }
    fields |= changes
    return EditDraft(
        invoice.practice_id,
        ACTOR,
        invoice.id,
        invoice.version if version is None else version,
        lines=lines,
        **fields,  # type: ignore[arg-type]
    )


def set_prefix(uow: FakeUnitOfWork, env: Env, practice: Practice, prefix: str) -> None:
    configure_invoice_settings(
        ConfigureInvoiceSettings(practice.id, ACTOR, "classic", "slate", 14, prefix), uow, env
    )


# -- creating and numbering -------------------------------------------------------------------


def test_a_new_invoice_is_a_numbered_draft_due_after_the_payment_terms(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="EUR")
    client = a_client(uow, env, practice)

    invoice = create_invoice(
        CreateInvoice(practice.id, ACTOR, client.id, (a_line(practice, price="80.00"),)), uow, env
    )

    assert stored(uow, invoice) == invoice
    assert invoice.number == "INV-0001"
    assert invoice.status is InvoiceStatus.DRAFT
    assert invoice.issue_date == date(2025, 3, 14)
    assert invoice.due_date == date(2025, 3, 28)
    assert invoice.total == Money.of("80.00", "EUR")
    assert invoice.created_by == ACTOR


def test_numbers_are_the_prefix_and_a_zero_padded_gapless_sequence(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)

    numbers = [an_invoice(uow, env, practice, lines=1).number for _ in range(3)]

    assert numbers == ["INV-0001", "INV-0002", "INV-0003"]


def test_each_practice_numbers_its_own_invoices_from_one(uow: FakeUnitOfWork, env: Env) -> None:
    harbour = a_practice(uow, env, name="Harbour")
    hillside = a_practice(uow, env, name="Hillside")
    an_invoice(uow, env, harbour)
    an_invoice(uow, env, harbour)

    first_of_hillside = an_invoice(uow, env, hillside)
    third_of_harbour = an_invoice(uow, env, harbour)

    assert first_of_hillside.number == "INV-0001"
    assert third_of_harbour.number == "INV-0003"


def test_a_refused_invoice_does_not_use_up_a_number(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    an_invoice(uow, env, practice, client=client)
    with pytest.raises(ValidationError):
        create_invoice(CreateInvoice(practice.id, ACTOR, client.id, ()), uow, env)

    after = an_invoice(uow, env, practice, client=client)

    assert after.number == "INV-0002"


def test_a_new_prefix_applies_from_the_next_number_on(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    first = an_invoice(uow, env, practice)
    set_prefix(uow, env, practice, "2025/")

    second = an_invoice(uow, env, practice)

    assert stored(uow, first).number == "INV-0001"
    assert second.number == "2025/0002"


def test_invoices_list_newest_first_whatever_their_prefixes(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    set_prefix(uow, env, practice, "A1")
    an_invoice(uow, env, practice)
    set_prefix(uow, env, practice, "INV-")
    an_invoice(uow, env, practice)

    listed = list_invoices(practice.id, InvoiceFilter(), uow)

    assert [invoice.number for invoice in listed] == ["INV-0002", "A10001"]


def test_a_line_for_a_service_takes_the_services_name_when_left_blank(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    service = a_service(uow, env, practice, name="Family session")
    line = replace(a_line(practice, description=" "), service_type_id=service.id)

    invoice = an_invoice(uow, env, practice, lines=[line])

    assert invoice.lines[0].description == "Family session"
    assert invoice.lines[0].service_type_id == service.id


def test_a_line_cannot_use_an_archived_tax_rate(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="Standard")
    old = a_tax_rate(uow, env, practice, name="Old")
    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)
    client = a_client(uow, env, practice)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        an_invoice(uow, env, practice, client=client, lines=[a_line(practice, tax_rate=old)])

    assert refused.value.errors == {
        "lines.0.tax_rate": "Pick one of the practice's active tax rates."
    }
    assert uow.committed == before


# -- lifecycle --------------------------------------------------------------------------------


def test_an_invoice_goes_from_draft_to_open_to_partially_paid_to_paid(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice, lines=1, price="100.00")

    opened = issue_invoice(practice.id, draft.id, ACTOR, uow, env)
    partly = a_payment(uow, env, practice, opened, "40.00")
    paid = a_payment(uow, env, practice, partly, "60.00")

    assert [draft.status, opened.status, partly.status, paid.status] == [
        InvoiceStatus.DRAFT,
        InvoiceStatus.OPEN,
        InvoiceStatus.PARTIALLY_PAID,
        InvoiceStatus.PAID,
    ]
    assert opened.issued_at == env.clock.now()
    assert stored(uow, draft) == paid
    with uow:
        actions = [event.action for event in uow.audit.for_subject(practice.id, draft.id)]
    assert actions == ["invoice.created", "invoice.issued", "payment.recorded", "payment.recorded"]


def test_issuing_an_open_invoice_again_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    before = uow.committed

    with pytest.raises(InvoiceStateConflict, match="already issued"):
        issue_invoice(practice.id, invoice.id, ACTOR, uow, env)

    assert uow.committed == before


def test_a_draft_can_be_voided_with_a_reason(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice)

    voided = void_invoice(practice.id, draft.id, " Created by mistake ", ACTOR, uow, env)

    assert stored(uow, draft) == voided
    assert voided.status is InvoiceStatus.VOID
    assert voided.void_reason == "Created by mistake"
    assert voided.voided_at == env.clock.now()


def test_a_void_invoice_cannot_be_issued_or_voided_again(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    void_invoice(practice.id, invoice.id, "", ACTOR, uow, env)
    before = uow.committed

    with pytest.raises(InvoiceIsVoid):
        issue_invoice(practice.id, invoice.id, ACTOR, uow, env)
    with pytest.raises(InvoiceIsVoid):
        void_invoice(practice.id, invoice.id, "", ACTOR, uow, env)

    assert uow.committed == before


# -- editing ----------------------------------------------------------------------------------


def test_a_draft_is_edited_with_new_lines_and_dates(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice, lines=3)

    edited = edit_draft(
        edit(draft, a_line(practice, price="150.00", quantity="2"), due_date=date(2025, 4, 30)),
        uow,
        env,
    )

    assert stored(uow, draft) == edited
    assert edited.total == Money.of("300.00", "USD")
    assert edited.due_date == date(2025, 4, 30)
    assert edited.number == draft.number
    assert edited.version == draft.version + 1


def test_an_open_invoice_cannot_be_edited(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    before = uow.committed

    with pytest.raises(InvoiceNotEditable, match=r"only drafts can be edited\. Void it"):
        edit_draft(edit(invoice, a_line(practice, price="1.00")), uow, env)

    assert uow.committed == before


def test_editing_a_draft_someone_else_just_changed_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice)
    edit_draft(edit(draft, a_line(practice, price="10.00")), uow, env)
    before = uow.committed

    with pytest.raises(StaleEdit, match=f"{draft.number} was changed by someone else"):
        edit_draft(edit(draft, a_line(practice, price="20.00"), version=draft.version), uow, env)

    assert uow.committed == before


def test_storing_an_invoice_changed_from_an_old_copy_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice)
    issue_invoice(practice.id, draft.id, ACTOR, uow, env)
    before = uow.committed

    with uow, pytest.raises(StaleEdit):
        uow.invoices.update(draft.void(env.clock.now(), "from a stale copy", locale="en_US"))

    assert uow.committed == before


# -- overdue ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "utc_moment", "overdue"),
    [
        # Auckland is UTC+13 in March: its 21st starts while UTC is still on the 20th.
        ("Pacific/Auckland", datetime(2025, 3, 20, 10, 59, tzinfo=UTC), False),
        ("Pacific/Auckland", datetime(2025, 3, 20, 11, 0, tzinfo=UTC), True),
        # Los Angeles is UTC-7: UTC reaches the 21st seven hours before the practice does.
        ("America/Los_Angeles", datetime(2025, 3, 21, 6, 59, tzinfo=UTC), False),
        ("America/Los_Angeles", datetime(2025, 3, 21, 7, 0, tzinfo=UTC), True),
    ],
)
def test_an_invoice_is_overdue_from_the_day_after_its_due_date_in_the_practices_zone(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock, zone: str, utc_moment: datetime, overdue: bool
) -> None:
    practice = a_practice(uow, env, time_zone=zone)
    invoice = an_issued_invoice(
        uow, env, practice, issue_date=date(2025, 3, 6), due_date=date(2025, 3, 20)
    )
    clock.set(utc_moment)

    practice_today = practice.today(clock.now()).date()

    assert invoice.is_overdue(practice_today) is overdue


def test_a_paid_or_draft_invoice_is_never_overdue(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice, due_date=date(2025, 3, 20))
    issued = an_issued_invoice(uow, env, practice, lines=1, due_date=date(2025, 3, 20))
    paid = a_payment(uow, env, practice, issued, "100.00")

    a_year_later = date(2026, 3, 20)

    assert not draft.is_overdue(a_year_later)
    assert not paid.is_overdue(a_year_later)
    assert issued.is_overdue(a_year_later)


# -- appointments are invoiced once -----------------------------------------------------------


def test_an_invoice_from_an_appointment_is_priced_from_its_service(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    vat = a_tax_rate(uow, env, practice, name="VAT", percent="20")
    service = a_service(uow, env, practice, name="Assessment", price="150.00", tax_rate=vat)
    appointment = an_appointment(uow, env, practice, service=service)

    invoice = create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)

    assert invoice.client_id == appointment.client_id
    assert [(line.description, line.appointment_id) for line in invoice.lines] == [
        ("Assessment", appointment.id)
    ]
    assert invoice.total == Money.of("180.00", "USD")
    with uow:
        assert uow.invoices.for_appointment(practice.id, appointment.id) == invoice


def test_an_appointment_invoiced_twice_is_refused_naming_the_first_invoice(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    appointment = an_appointment(uow, env, practice)
    first = create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)
    before = uow.committed

    with pytest.raises(AppointmentAlreadyInvoiced, match=rf"on invoice {first.number}\. Void"):
        create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)

    assert uow.committed == before


def test_an_appointment_on_a_typed_line_is_also_invoiced_only_once(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    appointment = an_appointment(uow, env, practice, client=client)
    create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)
    before = uow.committed

    with pytest.raises(AppointmentAlreadyInvoiced):
        an_invoice(
            uow, env, practice, client=client, lines=[a_line(practice, appointment=appointment)]
        )

    assert uow.committed == before


def test_voiding_an_invoice_lets_its_appointment_be_invoiced_again(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    appointment = an_appointment(uow, env, practice)
    first = create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)
    issue_invoice(practice.id, first.id, ACTOR, uow, env)
    void_invoice(practice.id, first.id, "wrong price", ACTOR, uow, env)

    second = create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)

    assert second.number == "INV-0002"
    with uow:
        assert uow.invoices.for_appointment(practice.id, appointment.id) == second


def test_one_appointment_on_two_lines_of_an_invoice_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    appointment = an_appointment(uow, env, practice, client=client)
    line = a_line(practice, appointment=appointment)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        an_invoice(uow, env, practice, client=client, lines=[line, line])

    assert refused.value.errors == {
        "lines.1.appointment": "This appointment is already on another line."
    }
    assert uow.committed == before


def test_another_clients_appointment_cannot_go_on_the_invoice(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    ada = a_client(uow, env, practice, name="Ada")
    grace = a_client(uow, env, practice, name="Grace", email="grace@example.com")
    graces_appointment = an_appointment(uow, env, practice, client=grace)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        an_invoice(
            uow, env, practice, client=ada, lines=[a_line(practice, appointment=graces_appointment)]
        )

    assert refused.value.errors == {"lines.0.appointment": "That appointment is another client's."}
    assert uow.committed == before


def test_a_draft_keeps_its_own_appointment_when_edited(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    appointment = an_appointment(uow, env, practice)
    draft = create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)
    discounted = a_line(practice, price="90.00", appointment=appointment)

    edited = edit_draft(edit(draft, discounted), uow, env)

    assert edited.appointment_ids == {appointment.id}
    assert edited.total == Money.of("90.00", "USD")


# -- prefill ----------------------------------------------------------------------------------


def test_the_form_for_an_appointment_is_prefilled_in_the_practices_zone(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, time_zone="America/Los_Angeles")
    default = a_tax_rate(uow, env, practice, name="Sales tax", percent="8")
    service = a_service(uow, env, practice, price="95.00")
    # 02:00 UTC on the 14th is still the evening of the 13th in Los Angeles.
    appointment = an_appointment(
        uow, env, practice, service=service, start=datetime(2025, 3, 14, 2, 0, tzinfo=UTC)
    )

    prefill = prefill_invoice(practice.id, uow, env, appointment_id=appointment.id)

    assert prefill.client_id == appointment.client_id
    assert prefill.issue_date == date(2025, 3, 14)
    assert prefill.due_date == date(2025, 3, 28)
    (line,) = prefill.lines
    assert line.service_date == date(2025, 3, 13)
    assert line.unit_price == Money.of("95.00", "USD")
    assert line.quantity == Decimal(1)
    assert line.tax_rate_id == default.id
    assert line.appointment_id == appointment.id


def test_the_form_for_a_client_starts_with_the_client_and_no_lines(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)

    prefill = prefill_invoice(practice.id, uow, env, client_id=client.id)

    assert (prefill.client_id, prefill.lines) == (client.id, ())
    assert (prefill.issue_date, prefill.due_date) == (date(2025, 3, 14), date(2025, 3, 28))


def test_the_form_for_an_unknown_client_is_not_found(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    with pytest.raises(NotFound):
        prefill_invoice(practice.id, uow, env, client_id=ClientId("nobody"))


def test_the_form_for_an_invoiced_appointment_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    appointment = an_appointment(uow, env, practice)
    create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)

    with pytest.raises(AppointmentAlreadyInvoiced):
        prefill_invoice(practice.id, uow, env, appointment_id=appointment.id)


# -- tax rates are copied onto lines ----------------------------------------------------------


def test_renaming_a_tax_rate_later_does_not_change_an_issued_invoice(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    vat = a_tax_rate(uow, env, practice, name="VAT", percent="20")
    issued = an_issued_invoice(uow, env, practice, lines=2, tax_rate=vat)

    update_tax_rate(UpdateTaxRate(practice.id, ACTOR, vat.id, "Standard rate", "20"), uow, env)

    kept = stored(uow, issued)
    assert kept == issued
    assert {(line.tax_name, line.tax_percent) for line in kept.lines} == {("VAT", Decimal(20))}
    assert [summary.label for summary in kept.totals.taxes] == ["VAT 20 %"]
    next_invoice = an_invoice(uow, env, practice, tax_rate=vat)
    assert next_invoice.lines[0].tax_name == "Standard rate"

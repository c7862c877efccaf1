"""Invoices: numbered, dated bills of lines whose totals are always the sums of what is shown.

Lifecycle: draft -> open (issued) -> partially paid -> paid, or void. Only drafts are
edited; an open invoice is voided and re-issued. Overdue is derived from the due date and
the practice's today, never stored.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from domain.errors import (
    FieldErrors,
    InvalidValue,
    InvoiceIsVoid,
    InvoiceNotEditable,
    InvoiceStateConflict,
    ValidationError,
)
from domain.ids import (
    AppointmentId,
    ClientId,
    InvoiceId,
    InvoiceLineId,
    PracticeId,
    ServiceTypeId,
    TaxRateId,
)
from domain.money import Currency, Money, sum_money
from domain.payments import EntryKind, LedgerEntry
from domain.practice import format_percent, tax_on

MAX_LINES = 100
MAX_QUANTITY = Decimal(10_000)
MAX_QUANTITY_DECIMALS = 3
MAX_UNIT_PRICE = Decimal(10_000_000)
MAX_DESCRIPTION = 200


class InvoiceState(enum.StrEnum):
    """The stored lifecycle step; payment progress is derived from the ledger."""

    DRAFT = "draft"
    ISSUED = "issued"
    VOID = "void"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


UNPAID_STATUSES = frozenset({InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID})
SETTLED_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID})
"""Nothing more is owed or collected on these."""


@dataclass(frozen=True, slots=True)
class InvoiceListing:
    """An invoice as a list shows it, with its client's name and without its lines or
    payments; the amounts and status are the invoice's own (`Invoice.total`, `.status`)."""

    id: InvoiceId
    number: str
    client_id: ClientId
    client_name: str
    total: Money
    balance: Money
    status: InvoiceStatus
    due_date: date

    @classmethod
    def of(cls, invoice: Invoice, client_name: str) -> InvoiceListing:
        return cls(
            invoice.id,
            invoice.number,
            invoice.client_id,
            client_name,
            invoice.total,
            invoice.balance,
            invoice.status,
            invoice.due_date,
        )


@dataclass(frozen=True, slots=True)
class InvoiceRef:
    """Which invoice bills an appointment: enough to show its number and open it."""

    id: InvoiceId
    number: str


@dataclass(frozen=True, slots=True)
class UnpaidTotals:
    """What a practice is owed in one currency on a given day: the balance of every unpaid
    invoice, and the part of it that is overdue (`Invoice.is_overdue`)."""

    outstanding: Money
    unpaid_count: int
    overdue: Money
    overdue_count: int

    @classmethod
    def of(cls, invoices: Iterable[Invoice], today: date) -> list[UnpaidTotals]:
        """The totals per currency of `invoices`, counting only the unpaid ones."""
        sums: dict[Currency, UnpaidTotals] = {}
        for invoice in invoices:
            if invoice.status not in UNPAID_STATUSES:
                continue
            zero = invoice.currency.zero()
            late = invoice.is_overdue(today)
            before = sums.get(invoice.currency, UnpaidTotals(zero, 0, zero, 0))
            sums[invoice.currency] = UnpaidTotals(
                before.outstanding + invoice.balance,
                before.unpaid_count + 1,
                before.overdue + (invoice.balance if late else zero),
                before.overdue_count + late,
            )
        return [sums[currency] for currency in sorted(sums, key=lambda c: c.code)]


@dataclass(frozen=True, slots=True)
class ListedTotals:
    """The invoices of a list in one currency: how many, what they total and what is left
    to pay on them."""

    count: int
    total: Money
    balance: Money

    @classmethod
    def of(cls, invoices: Iterable[Invoice]) -> list[ListedTotals]:
        """The totals per currency of `invoices`, in currency code order."""
        sums: dict[Currency, ListedTotals] = {}
        for invoice in invoices:
            zero = invoice.currency.zero()
            before = sums.get(invoice.currency, ListedTotals(0, zero, zero))
            sums[invoice.currency] = ListedTotals(
                before.count + 1, before.total + invoice.total, before.balance + invoice.balance
            )
        return [sums[currency] for currency in sorted(sums, key=lambda c: c.code)]


@dataclass(frozen=True, slots=True)
class InvoicePage:
    """One page of a filtered invoice list, newest first, with the totals of every invoice
    the filter holds (not only this page's)."""

    rows: tuple[InvoiceListing, ...]
    totals: tuple[ListedTotals, ...]
    """Per currency, in code order."""
    next_before: int | None
    """The `Invoice.sequence` the next page starts below; None on the last page."""

    @property
    def count(self) -> int:
        return sum(totals.count for totals in self.totals)


@dataclass(frozen=True, slots=True)
class InvoiceOverview:
    """What a practice's invoice summary shows, read together: its newest invoices, what it
    is owed per currency, and what it received in a period."""

    latest: tuple[InvoiceListing, ...]
    """Newest first (by `Invoice.sequence`)."""
    unpaid: tuple[UnpaidTotals, ...]
    """`UnpaidTotals.of` every invoice of the practice, in currency code order."""
    received: tuple[Money, ...]
    """Payments less refunds in the period, per currency that had any, in code order."""


@dataclass(frozen=True, slots=True)
class CardPlace:
    """Where an invoice's card (its Slack message) is: what updating it in place needs."""

    channel_id: str
    ts: str


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One billed item. The tax rate's name and percentage are copied onto the line so a
    later change of the practice's rates never alters an issued invoice."""

    id: InvoiceLineId
    service_date: date
    description: str
    quantity: Decimal
    unit_price: Money
    tax_rate_id: TaxRateId | None = None
    tax_name: str = ""
    tax_percent: Decimal = Decimal(0)
    service_type_id: ServiceTypeId | None = None
    appointment_id: AppointmentId | None = None

    @property
    def net(self) -> Money:
        return self.unit_price.times(self.quantity)

    @property
    def tax(self) -> Money:
        """Tax is computed and rounded per line."""
        return tax_on(self.net, self.tax_percent)

    @property
    def total(self) -> Money:
        return self.net + self.tax


@dataclass(frozen=True, slots=True)
class TaxSummary:
    """The tax of all lines that share one rate."""

    tax_rate_id: TaxRateId | None
    name: str
    percent: Decimal
    taxable: Money
    tax: Money

    @property
    def label(self) -> str:
        return f"{self.name} {format_percent(self.percent)}" if self.name else "No tax"


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    subtotal: Money
    taxes: tuple[TaxSummary, ...]
    tax_total: Money
    total: Money
    amount_paid: Money
    balance: Money


def compute_totals(
    currency: Currency, lines: Sequence[InvoiceLine], ledger: Sequence[LedgerEntry] = ()
) -> InvoiceTotals:
    """Totals that are, by construction, the sums of the per-line figures shown."""
    subtotal = currency.zero()
    groups: dict[tuple[TaxRateId | None, str, Decimal], tuple[Money, Money]] = {}
    for line in lines:
        net = line.net
        subtotal = subtotal + net
        if not line.tax_percent and line.tax_rate_id is None:
            continue
        key = (line.tax_rate_id, line.tax_name, line.tax_percent)
        taxable, tax = groups.get(key, (currency.zero(), currency.zero()))
        groups[key] = (taxable + net, tax + tax_on(net, line.tax_percent))
    taxes = tuple(
        TaxSummary(rate_id, name, percent, taxable, tax)
        for (rate_id, name, percent), (taxable, tax) in groups.items()
    )
    tax_total = sum_money([summary.tax for summary in taxes], currency)
    total = subtotal + tax_total
    paid = sum_money([entry.signed_amount for entry in ledger], currency)
    return InvoiceTotals(subtotal, taxes, tax_total, total, paid, total - paid)


@dataclass(frozen=True, slots=True)
class LineInput:
    """A line as a person entered it, before validation."""

    service_date: date
    description: str
    quantity: Decimal
    unit_price: Money
    tax_rate_id: TaxRateId | None = None
    service_type_id: ServiceTypeId | None = None
    appointment_id: AppointmentId | None = None


def check_quantity(quantity: Decimal) -> Decimal:
    if isinstance(quantity, float):
        raise TypeError("a quantity must be a Decimal, not a float")
    if not isinstance(quantity, Decimal):
        raise TypeError("a quantity must be a Decimal")
    if not quantity.is_finite() or quantity <= 0:
        raise InvalidValue("The quantity must be more than 0.")
    if quantity > MAX_QUANTITY:
        raise InvalidValue(f"The quantity can be at most {MAX_QUANTITY:,}.")
    if quantity != quantity.quantize(Decimal(1).scaleb(-MAX_QUANTITY_DECIMALS)):
        raise InvalidValue(f"Use at most {MAX_QUANTITY_DECIMALS} decimals for the quantity.")
    return quantity


def check_unit_price(price: Money, currency: Currency, locale: str) -> Money:
    """`price` if an invoice line may charge it; the refusal writes amounts as `locale`."""
    if price.currency != currency:
        raise InvalidValue(
            f"This invoice is in {currency.code}; the price is in {price.currency.code}. "
            "Every line uses the invoice's currency."
        )
    if price.is_negative:
        raise InvalidValue("The price cannot be negative.")
    if price.amount > MAX_UNIT_PRICE:
        largest = Money(MAX_UNIT_PRICE, currency).format(locale)
        raise InvalidValue(f"The price can be at most {largest}.")
    return price


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice of one practice to one client, in one currency fixed at creation."""

    id: InvoiceId
    practice_id: PracticeId
    number: str
    sequence: int = field(kw_only=True)
    """The practice's counter value the number was made from; it orders invoices, since a
    prefix may end in digits (`A1` + 0001) or change between two invoices."""
    client_id: ClientId
    currency: Currency
    issue_date: date
    due_date: date
    lines: tuple[InvoiceLine, ...]
    created_at: datetime
    created_by: str
    state: InvoiceState = InvoiceState.DRAFT
    ledger: tuple[LedgerEntry, ...] = ()
    issued_at: datetime | None = None
    voided_at: datetime | None = None
    void_reason: str = ""
    version: int = 1
    _totals: InvoiceTotals | None = field(default=None, compare=False, repr=False)

    @property
    def totals(self) -> InvoiceTotals:
        if self._totals is None:
            object.__setattr__(
                self, "_totals", compute_totals(self.currency, self.lines, self.ledger)
            )
        assert self._totals is not None
        return self._totals

    @property
    def total(self) -> Money:
        return self.totals.total

    @property
    def amount_paid(self) -> Money:
        return self.totals.amount_paid

    @property
    def balance(self) -> Money:
        return self.totals.balance

    @property
    def status(self) -> InvoiceStatus:
        if self.state is InvoiceState.DRAFT:
            return InvoiceStatus.DRAFT
        if self.state is InvoiceState.VOID:
            return InvoiceStatus.VOID
        if not self.balance.is_negative and not self.balance.is_zero:
            return (
                InvoiceStatus.PARTIALLY_PAID if self.amount_paid.amount > 0 else InvoiceStatus.OPEN
            )
        return InvoiceStatus.PAID

    def is_overdue(self, today: date) -> bool:
        return self.status in UNPAID_STATUSES and self.due_date < today

    @property
    def appointment_ids(self) -> frozenset[AppointmentId]:
        return frozenset(line.appointment_id for line in self.lines if line.appointment_id)

    @property
    def blocks_its_appointments(self) -> bool:
        """Whether this invoice holds its appointments (a void one releases them)."""
        return self.state is not InvoiceState.VOID

    # -- transitions -------------------------------------------------------------------

    def _edited(self, **changes: object) -> Invoice:
        return replace(self, _totals=None, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def revise(
        self,
        *,
        client_id: ClientId,
        issue_date: date,
        due_date: date,
        lines: tuple[InvoiceLine, ...],
    ) -> Invoice:
        """A draft with new contents; anything but a draft is refused."""
        if self.state is not InvoiceState.DRAFT:
            raise InvoiceNotEditable(
                f"{self.number} is {self.status.label.lower()}; only drafts can be edited. "
                "Void it and create a new invoice instead."
            )
        try:
            check_dates(issue_date, due_date)
        except InvalidValue as problem:
            raise ValidationError.single("due_date", str(problem)) from None
        return self._edited(
            client_id=client_id, issue_date=issue_date, due_date=due_date, lines=lines
        )

    def issue(self, at: datetime) -> Invoice:
        """Draft -> open: the invoice can now be sent and paid."""
        if self.state is InvoiceState.VOID:
            raise InvoiceIsVoid(f"{self.number} is void; create a new invoice instead.")
        if self.state is InvoiceState.ISSUED:
            raise InvoiceStateConflict(f"{self.number} is already issued.")
        if not self.lines:
            raise ValidationError.single("lines", "Add at least one line before issuing.")
        return self._edited(state=InvoiceState.ISSUED, issued_at=at)

    def void(self, at: datetime, reason: str, *, locale: str) -> Invoice:
        """Cancel the invoice for good; money already received must be refunded first (the
        refusal writes the amount as `locale`, the practice's)."""
        if self.state is InvoiceState.VOID:
            raise InvoiceIsVoid(f"{self.number} is already void.")
        if self.amount_paid.amount > 0:
            raise InvoiceStateConflict(
                f"{self.number} has {self.amount_paid.format(locale)} paid on it. Refund the "
                "payments before voiding it."
            )
        return self._edited(state=InvoiceState.VOID, voided_at=at, void_reason=reason)

    def check_can_take_payments(self) -> None:
        """Raises InvoiceIsVoid or InvoiceStateConflict unless the invoice is issued."""
        if self.state is InvoiceState.VOID:
            raise InvoiceIsVoid(f"{self.number} is void; no payment can be recorded on it.")
        if self.state is InvoiceState.DRAFT:
            raise InvoiceStateConflict(
                f"{self.number} is a draft. Issue it before recording a payment."
            )

    def record(self, entry: LedgerEntry, *, locale: str) -> Invoice:
        """Add a ledger entry after checking the rules every payment or refund obeys; a
        refusal writes amounts as `locale` (the practice's)."""
        self.check_can_take_payments()
        if entry.amount.currency != self.currency:
            raise ValidationError.single(
                "amount", f"This invoice is in {self.currency.code}; enter the amount in it."
            )
        if any(existing.id == entry.id for existing in self.ledger):
            return self
        if entry.kind is EntryKind.REFUND and entry.amount > self.amount_paid:
            paid = self.amount_paid.format(locale)
            raise ValidationError.single(
                "amount",
                f"A refund of {entry.amount.format(locale)} is more than the {paid} paid. "
                f"Enter at most {paid}.",
            )
        return self._edited(ledger=(*self.ledger, entry))


def check_dates(issue_date: date, due_date: date) -> None:
    """Raises InvalidValue (about the due date) when it is before the issue date."""
    if due_date < issue_date:
        raise InvalidValue(
            f"The due date ({due_date.isoformat()}) is before the issue date "
            f"({issue_date.isoformat()}). Pick the issue date or a later day."
        )


def validate_lines(
    inputs: Sequence[LineInput], currency: Currency, locale: str, errors: FieldErrors
) -> list[tuple[int, LineInput]]:
    """Check each line's own fields; returns the lines that passed, with their positions.
    Refusals write amounts as `locale`, the practice's."""
    if not inputs:
        errors.add("lines", "Add at least one line: date, service, price.")
    if len(inputs) > MAX_LINES:
        errors.add(
            "lines", f"An invoice has at most {MAX_LINES} lines; this one has {len(inputs)}."
        )
    good: list[tuple[int, LineInput]] = []
    for index, line in enumerate(inputs):
        with errors.nested(f"lines.{index}.") as line_errors:
            line_errors.check("quantity", partial(check_quantity, line.quantity))
            line_errors.check(
                "unit_price", partial(check_unit_price, line.unit_price, currency, locale)
            )
            description = line.description.strip()
            if not description and line.service_type_id is None:
                line_errors.add("description", "Describe the line or pick a service type.")
            if len(description) > MAX_DESCRIPTION:
                line_errors.add(
                    "description", f"Keep the description to {MAX_DESCRIPTION} characters."
                )
            if not line_errors:
                good.append((index, line))
    return good

"""Filtered invoice lists and the invoice export: the words of `/invoice list` and
`/invoice export` read into a filter, one page of the list with its totals, and the rows of an
export (one per invoice, one per payment or refund)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from domain.clients import Client
from domain.errors import DomainError
from domain.invoices import UNPAID_STATUSES, Invoice, InvoicePage, InvoiceStatus
from domain.money import Currency, Money
from domain.payments import EntryKind
from domain.ports import Env, InvoiceFilter, UnitOfWork
from domain.practice import Practice
from domain.text import search_key

PAGE_SIZE = 20
EXPORT_LIMIT = 100_000
"""More invoices than any practice here issues in a period; an export stops there."""
CLIENTS_NAMED = 5
"""How many of the clients that match a word a refusal names."""

STATUS_WORDS = ("unpaid", "overdue", "paid", "draft", "void")
_STATUSES: dict[str, frozenset[InvoiceStatus]] = {
    "unpaid": UNPAID_STATUSES,
    "overdue": UNPAID_STATUSES,
    "paid": frozenset({InvoiceStatus.PAID}),
    "draft": frozenset({InvoiceStatus.DRAFT}),
    "void": frozenset({InvoiceStatus.VOID}),
}
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
LIST_TRY = (
    "Try: `/invoice list unpaid | overdue | paid | draft | void`, then a client's name, "
    "then `this month | last month | YYYY-MM` (each part optional)."
)
EXPORT_TRY = "Try: `/invoice export`, or `/invoice export this month | last month | YYYY-MM`."


class WordsNotUnderstood(DomainError):
    """Words of a list or export command that are no status, month or client; the message
    says which and what would be understood."""


@dataclass(frozen=True, slots=True)
class Period:
    """The calendar month a list or export covers, by issue date, both ends included."""

    first: date
    last: date

    @classmethod
    def month_of(cls, day: date) -> Period:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(first, following - timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def slug(self) -> str:
        return f"{self.first:%Y-%m}"


@dataclass(frozen=True, slots=True)
class ListWords:
    """What `/invoice list` was asked for: each part None or empty when not given."""

    status: str | None = None
    """One of `STATUS_WORDS`."""
    client_text: str = ""
    period: Period | None = None


def _take_period(words: list[str], today: date, problem: str) -> Period | None:
    """Remove the period from `words` (the last one or two words) and return it."""
    lowered = [word.casefold() for word in words]
    if lowered[-2:] == ["this", "month"]:
        del words[-2:]
        return Period.month_of(today)
    if lowered[-2:] == ["last", "month"]:
        del words[-2:]
        return Period.month_of(today.replace(day=1) - timedelta(days=1))
    if words and (found := _MONTH.fullmatch(words[-1])):
        year, month = int(found[1]), int(found[2])
        if not 1 <= month <= 12 or year < 1900:
            raise WordsNotUnderstood(f"'{words[-1]}' is not a month (YYYY-MM). {problem}")
        del words[-1]
        return Period(*_bounds(year, month))
    return None


def _bounds(year: int, month: int) -> tuple[date, date]:
    period = Period.month_of(date(year, month, 1))
    return period.first, period.last


def parse_list_words(text: str, today: date) -> ListWords:
    """`[status] [client] [period]` of `/invoice list`; `today` is the practice's (months
    are its calendar months). Raises WordsNotUnderstood for a second status or a bad month;
    the client words are checked against the practice's clients by `invoice_list`."""
    words = text.split()
    status = None
    if words and words[0].casefold() in _STATUSES:
        status = words.pop(0).casefold()
    period = _take_period(words, today, LIST_TRY)
    for word in words:
        if word.casefold() in _STATUSES:
            raise WordsNotUnderstood(
                f"'{word}' is a status: one status, first, e.g. "
                f"`/invoice list {word.casefold()} Grace`. {LIST_TRY}"
            )
    return ListWords(status, " ".join(words), period)


def parse_export_words(text: str, today: date) -> Period | None:
    """The period of `/invoice export [period]`; None for every invoice. Raises
    WordsNotUnderstood for anything else."""
    words = text.split()
    period = _take_period(words, today, EXPORT_TRY) if words else None
    if words:
        raise WordsNotUnderstood(f"I don't know '{' '.join(words)}'. {EXPORT_TRY}")
    return period


@dataclass(frozen=True, slots=True)
class InvoiceList:
    """One page of `/invoice list`, with what it was filtered by."""

    words: ListWords
    client: Client | None
    page: InvoicePage
    shown_before: int
    """How many rows the earlier pages showed (the first row here is number this + 1)."""
    locale: str


def _the_client(practice: Practice, text: str, uow: UnitOfWork) -> Client:
    """The one client `text` names, as `/client` finds them."""
    found = uow.clients.matching(practice.id, text, CLIENTS_NAMED + 1)
    exact = [client for client in found if search_key(client.name) == search_key(text)]
    if len(found) == 1 or len(exact) == 1:
        return found[0] if len(found) == 1 else exact[0]
    if not found:
        raise WordsNotUnderstood(
            f"I don't know '{text}': it is no status, month or client of this practice. {LIST_TRY}"
        )
    names = ", ".join(client.name for client in found[:CLIENTS_NAMED])
    more = " and more" if len(found) > CLIENTS_NAMED else ""
    raise WordsNotUnderstood(
        f"Several clients match '{text}': {names}{more}. Write more of the name "
        "(or the e-mail) to pick one."
    )


def invoice_list(
    practice: Practice,
    text: str,
    uow: UnitOfWork,
    env: Env,
    *,
    before: int | None = None,
    shown_before: int = 0,
) -> InvoiceList:
    """The page of the practice's invoices that `text` (`[status] [client] [period]`) asks
    for, newest first, starting below sequence `before`; "overdue" is on the practice's
    today. Raises WordsNotUnderstood for words it does not understand, a client that none or
    several match."""
    today = env.today_at(practice)
    words = parse_list_words(text, today)
    criteria = InvoiceFilter(
        statuses=_STATUSES[words.status] if words.status else frozenset(),
        overdue_on=today if words.status == "overdue" else None,
        issued_from=words.period.first if words.period else None,
        issued_to=words.period.last if words.period else None,
        limit=PAGE_SIZE,
        before_sequence=before,
    )
    with uow:
        client = _the_client(practice, words.client_text, uow) if words.client_text else None
        if client is not None:
            criteria = replace(criteria, client_id=client.id)
        page = uow.invoices.page(practice.id, criteria)
    return InvoiceList(words, client, page, shown_before, practice.locale)


# -- export ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportRow:
    """A line of the export: an invoice (its amounts) or a payment or refund on it (its
    amount under `paid`, negative for a refund, and its date, method and reference)."""

    kind: str
    """invoice | payment | refund"""
    number: str
    client_name: str
    issue_date: date
    due_date: date
    status: InvoiceStatus
    currency: Currency
    total: Money | None
    paid: Money
    balance: Money | None
    payment_date: date | None = None
    method: str = ""
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Export:
    rows: tuple[ExportRow, ...]
    period: Period | None
    invoices: int


def _rows_of(invoice: Invoice, client_name: str, practice: Practice) -> list[ExportRow]:
    head = ExportRow(
        "invoice",
        invoice.number,
        client_name,
        invoice.issue_date,
        invoice.due_date,
        invoice.status,
        invoice.currency,
        invoice.total,
        invoice.amount_paid,
        invoice.balance,
    )
    entries = [
        replace(
            head,
            kind="refund" if entry.kind is EntryKind.REFUND else "payment",
            total=None,
            paid=entry.signed_amount,
            balance=None,
            payment_date=entry.received_at.astimezone(practice.zone).date(),
            method=entry.method.value,
            reference=entry.reference,
        )
        for entry in invoice.ledger
    ]
    return [head, *entries]


def invoice_export(practice: Practice, period: Period | None, uow: UnitOfWork, env: Env) -> Export:
    """Every invoice of the practice issued in `period` (all of them for None), oldest first,
    each followed by its payments and refunds."""
    criteria = InvoiceFilter(
        issued_from=period.first if period else None,
        issued_to=period.last if period else None,
        limit=EXPORT_LIMIT,
    )
    with uow:
        invoices = uow.invoices.find(practice.id, criteria)
        names = uow.clients.names(practice.id, {invoice.client_id for invoice in invoices})
    invoices.sort(key=lambda invoice: invoice.sequence)
    rows = [row for i in invoices for row in _rows_of(i, names.get(i.client_id, ""), practice)]
    return Export(tuple(rows), period, len(invoices))

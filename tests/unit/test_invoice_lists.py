"""`/invoice list` and `/invoice export` below Slack: the words read into a filter (every
word, words it refuses, month boundaries), a page of the list with totals over the whole
filter, and the export's CSV with exact amounts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from bot.invoice_lists import CSV_COLUMNS, LIST_NEXT, export_csv, invoice_list_blocks
from domain.invoices import Invoice
from domain.money import Money
from domain.ports import Env
from domain.practice import Practice
from domain.usecases.invoice_lists import (
    PAGE_SIZE,
    ListWords,
    Period,
    WordsNotUnderstood,
    invoice_export,
    invoice_list,
    parse_export_words,
    parse_list_words,
)
from domain.usecases.payments import RecordPayment, record_manual_refund
from factories import ACTOR, a_client, a_payment, a_practice, an_invoice, an_issued_invoice
from fakes import FakeUnitOfWork, FixedClock

TODAY = date(2025, 3, 14)
MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))


# -- the words ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["unpaid", "overdue", "paid", "draft", "void", "UNPAID"])
def test_each_status_word_is_understood(status: str) -> None:
    assert parse_list_words(status, TODAY) == ListWords(status=status.casefold())


def test_no_words_list_every_invoice() -> None:
    assert parse_list_words("", TODAY) == ListWords()


def test_status_client_and_month_are_read_in_that_order() -> None:
    words = parse_list_words("unpaid Grace Hopper 2025-02", TODAY)

    assert words == ListWords("unpaid", "Grace Hopper", Period(date(2025, 2, 1), date(2025, 2, 28)))


def test_this_month_and_last_month_are_the_practices_calendar_months() -> None:
    assert parse_list_words("this month", TODAY).period == MARCH
    assert parse_list_words("paid last month", TODAY).period == Period(
        date(2025, 2, 1), date(2025, 2, 28)
    )


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    assert parse_list_words("last month", date(2025, 1, 31)).period == Period(
        date(2024, 12, 1), date(2024, 12, 31)
    )


def test_a_leap_february_ends_on_the_29th() -> None:
    assert parse_list_words("2024-02", TODAY).period == Period(date(2024, 2, 1), date(2024, 2, 29))


@pytest.mark.parametrize("bad", ["2025-13", "2025-00"])
def test_a_month_that_does_not_exist_is_refused(bad: str) -> None:
    with pytest.raises(WordsNotUnderstood, match=f"'{bad}' is not a month"):
        parse_list_words(f"unpaid {bad}", TODAY)


def test_a_second_status_is_refused_rather_than_taken_for_a_client() -> None:
    with pytest.raises(WordsNotUnderstood, match="'paid' is a status"):
        parse_list_words("unpaid paid", TODAY)


def test_export_takes_a_month_or_nothing_and_refuses_other_words() -> None:
    assert parse_export_words("", TODAY) is None
    assert parse_export_words("this month", TODAY) == MARCH

    with pytest.raises(WordsNotUnderstood, match="I don't know 'everything'"):
        parse_export_words("everything", TODAY)


# -- the list -------------------------------------------------------------------------------


@pytest.fixture
def practice(uow: FakeUnitOfWork, env: Env) -> Practice:
    return a_practice(uow, env)


def test_a_word_that_is_no_status_month_or_client_gets_the_usage(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_client(uow, env, practice, name="Grace Hopper")

    with pytest.raises(WordsNotUnderstood, match=r"I don't know 'foo'.*Try: `/invoice list"):
        invoice_list(practice, "foo", uow, env)


def test_a_client_several_match_is_refused_naming_them(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_client(uow, env, practice, name="Ann Lee", email="ann@example.com")
    a_client(uow, env, practice, name="Anna Berg", email="anna@example.com")

    with pytest.raises(WordsNotUnderstood, match="Several clients match 'ann': Ann Lee, Anna Berg"):
        invoice_list(practice, "unpaid ann", uow, env)


def test_a_client_is_matched_without_accents_and_a_full_name_picks_one_of_several(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    ann = a_client(uow, env, practice, name="Ann Lee", email="ann@example.com")
    a_client(uow, env, practice, name="Ann Leeds", email="leeds@example.com")
    zoe = a_client(uow, env, practice, name="Zoë Ådams", email="zoe@example.com")
    an_issued_invoice(uow, env, practice, client=ann)
    mine = an_issued_invoice(uow, env, practice, client=zoe)

    by_accentless = invoice_list(practice, "zoe adams", uow, env)
    by_full_name = invoice_list(practice, "ann lee", uow, env)

    assert [row.number for row in by_accentless.page.rows] == [mine.number]
    assert by_full_name.client == ann


def test_overdue_is_unpaid_past_due_on_the_practices_today(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    late = an_issued_invoice(
        uow, env, practice, issue_date=date(2025, 3, 1), due_date=date(2025, 3, 13)
    )
    an_issued_invoice(uow, env, practice, issue_date=date(2025, 3, 1), due_date=date(2025, 3, 14))
    an_invoice(uow, env, practice, issue_date=date(2025, 3, 1), due_date=date(2025, 3, 2))

    listed = invoice_list(practice, "overdue", uow, env)

    assert [row.number for row in listed.page.rows] == [late.number]


def test_a_month_lists_what_was_issued_in_it(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    an_invoice(uow, env, practice, issue_date=date(2025, 2, 28))
    first = an_invoice(uow, env, practice, issue_date=date(2025, 3, 1))
    last = an_invoice(uow, env, practice, issue_date=date(2025, 3, 31))

    listed = invoice_list(practice, "draft this month", uow, env)

    assert [row.number for row in listed.page.rows] == [last.number, first.number]


def _many(uow: FakeUnitOfWork, env: Env, practice: Practice, count: int) -> list[Invoice]:
    client = a_client(uow, env, practice)
    return [an_invoice(uow, env, practice, client=client, lines=1) for _ in range(count)]


def test_pages_of_twenty_follow_each_other_and_the_totals_cover_every_page(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    made = _many(uow, env, practice, PAGE_SIZE + 5)

    first = invoice_list(practice, "", uow, env)
    second = invoice_list(
        practice, "", uow, env, before=first.page.next_before, shown_before=PAGE_SIZE
    )

    newest_first = [invoice.number for invoice in reversed(made)]
    assert [row.number for row in first.page.rows] == newest_first[:PAGE_SIZE]
    assert [row.number for row in second.page.rows] == newest_first[PAGE_SIZE:]
    assert second.page.next_before is None
    (totals,) = first.page.totals
    assert totals.count == PAGE_SIZE + 5
    assert totals.total == Money.of("2500.00", "USD")


def test_the_list_shows_amounts_in_the_practices_locale_and_next_carries_the_words(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="EUR", country="DE")
    assert practice.locale == "de_DE"
    _many(uow, env, practice, PAGE_SIZE + 1)

    blocks = [
        block.to_dict()
        for block in invoice_list_blocks(invoice_list(practice, "draft", uow, env), "draft")
    ]

    assert blocks[0]["text"]["text"] == "*Draft invoices* · 1–20 of 21"
    assert "total 100,00\xa0€" in blocks[1]["text"]["text"]
    (button,) = [b["elements"][0] for b in blocks if b["type"] == "actions"]
    assert button["action_id"] == LIST_NEXT
    assert '"words":"draft"' in button["value"]


# -- the export -----------------------------------------------------------------------------


def _parsed(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_export_has_a_row_per_invoice_and_per_payment_with_exact_amounts(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    client = a_client(uow, env, practice, name="=Grace, Hopper")
    invoice = an_issued_invoice(uow, env, practice, client=client, lines=1, price="1250.50")
    a_payment(uow, env, practice, invoice, "250.25", received_on=date(2025, 3, 12))
    record_manual_refund(
        RecordPayment(practice.id, ACTOR, invoice.id, "50", "cash", reference="back"), uow, env
    )

    rows = _parsed(export_csv(invoice_export(practice, None, uow, env)))

    assert list(rows[0]) == list(CSV_COLUMNS)
    head, payment, refund = rows
    assert (head["kind"], head["total"], head["paid"], head["balance"]) == (
        "invoice",
        "1250.50",
        "200.25",
        "1050.25",
    )
    assert head["client name"] == "'=Grace, Hopper"  # never run as a spreadsheet formula
    assert (payment["kind"], payment["paid"], payment["payment date"], payment["total"]) == (
        "payment",
        "250.25",
        "2025-03-12",
        "",
    )
    assert (refund["kind"], refund["paid"], refund["reference"]) == ("refund", "-50.00", "back")


def test_a_zero_decimal_currency_is_exported_without_decimals(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="JPY")
    an_issued_invoice(uow, env, practice, lines=1, price="1250")

    (row,) = _parsed(export_csv(invoice_export(practice, None, uow, env)))

    assert (row["currency"], row["total"], row["balance"]) == ("JPY", "1250", "1250")


def test_an_export_of_a_month_has_only_what_was_issued_in_it(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    an_invoice(uow, env, practice, issue_date=date(2025, 2, 28))
    march = an_invoice(uow, env, practice, issue_date=date(2025, 3, 1))

    rows = _parsed(export_csv(invoice_export(practice, MARCH, uow, env)))

    assert [row["invoice number"] for row in rows] == [march.number]


def test_a_payment_date_is_the_practices_day_not_utcs(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock
) -> None:
    practice = a_practice(uow, env, time_zone="Pacific/Auckland")
    invoice = an_issued_invoice(uow, env, practice, lines=1)
    clock.set(datetime(2025, 3, 14, 20, 0, tzinfo=UTC))  # already the 15th in Auckland
    a_payment(uow, env, practice, invoice, "10.00")

    _, payment = _parsed(export_csv(invoice_export(practice, None, uow, env)))

    assert payment["payment date"] == "2025-03-15"

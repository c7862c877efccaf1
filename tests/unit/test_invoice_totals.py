"""Invoice totals are always the sums of the figures shown on the lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ids import InvoiceLineId, PaymentId, TaxRateId
from domain.invoices import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    InvoiceLine,
    compute_totals,
)
from domain.money import Currency, Money, sum_money
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.practice import parse_tax_percent, tax_on

CURRENCIES = ["USD", "EUR", "JPY", "KWD", "BHD", "ISK", "CLF"]
# A few named rates, so that lines share rates and the per-rate summary has to group them.
RATES = [
    (None, "", Decimal(0)),
    (TaxRateId("rate-zero"), "Exempt", Decimal(0)),
    (TaxRateId("rate-vat"), "VAT", Decimal("20.0000")),
    (TaxRateId("rate-odd"), "Odd", Decimal("7.2500")),
    (TaxRateId("rate-max"), "Everything", Decimal("100.0000")),
    (TaxRateId("rate-tiny"), "Tiny", Decimal("0.0001")),
]


def line(
    price: Money, quantity: str = "1", rate: tuple[TaxRateId | None, str, Decimal] = RATES[0]
) -> InvoiceLine:
    rate_id, name, percent = rate
    return InvoiceLine(
        id=InvoiceLineId(f"line-{price.amount}-{quantity}"),
        service_date=date(2025, 3, 10),
        description="Session",
        quantity=Decimal(quantity),
        unit_price=price,
        tax_rate_id=rate_id,
        tax_name=name,
        tax_percent=percent,
    )


def entry(kind: EntryKind, amount: Money, n: int) -> LedgerEntry:
    return LedgerEntry(
        id=PaymentId(f"pay-{n}"),
        kind=kind,
        method=PaymentMethod.CASH,
        amount=amount,
        received_at=datetime(2025, 3, 14, 12, 0, tzinfo=UTC),
        recorded_by="U0ADMIN01",
    )


@st.composite
def invoice_lines(draw: st.DrawFn) -> tuple[Currency, list[InvoiceLine], list[LedgerEntry]]:
    currency = Currency(draw(st.sampled_from(CURRENCIES)))
    prices = st.decimals(
        min_value=0, max_value=MAX_UNIT_PRICE, places=currency.exponent, allow_nan=False
    )
    quantities = st.decimals(
        min_value=Decimal("0.001"), max_value=MAX_QUANTITY, places=3, allow_nan=False
    )
    lines = [
        InvoiceLine(
            id=InvoiceLineId(f"line-{n}"),
            service_date=date(2025, 3, 10),
            description="Session",
            quantity=draw(quantities),
            unit_price=Money(draw(prices), currency),
            tax_rate_id=rate_id,
            tax_name=name,
            tax_percent=percent,
        )
        for n, (rate_id, name, percent) in enumerate(
            draw(st.lists(st.sampled_from(RATES), max_size=12))
        )
    ]
    amounts = st.integers(min_value=1, max_value=10**9).map(currency.from_minor_units)
    kinds = st.sampled_from(EntryKind)
    ledger = [
        entry(kind, amount, n)
        for n, (kind, amount) in enumerate(draw(st.lists(st.tuples(kinds, amounts), max_size=5)))
    ]
    return currency, lines, ledger


@settings(deadline=None)
@given(invoice=invoice_lines())
def test_totals_are_the_sums_of_the_lines_for_any_lines(
    invoice: tuple[Currency, list[InvoiceLine], list[LedgerEntry]],
) -> None:
    currency, lines, ledger = invoice

    totals = compute_totals(currency, lines, ledger)

    assert totals.subtotal == sum_money([item.net for item in lines], currency)
    assert totals.tax_total == sum_money([summary.tax for summary in totals.taxes], currency)
    assert totals.tax_total == sum_money([item.tax for item in lines], currency)
    assert totals.total == totals.subtotal + totals.tax_total
    assert totals.amount_paid == sum_money([e.signed_amount for e in ledger], currency)
    assert totals.balance == totals.total - totals.amount_paid
    for summary in totals.taxes:
        grouped = [
            item
            for item in lines
            if (item.tax_rate_id, item.tax_name, item.tax_percent)
            == (summary.tax_rate_id, summary.name, summary.percent)
        ]
        assert summary.tax == sum_money([item.tax for item in grouped], currency)
        assert summary.taxable == sum_money([item.net for item in grouped], currency)


@settings(deadline=None)
@given(invoice=invoice_lines())
def test_tax_is_never_negative_on_any_line(
    invoice: tuple[Currency, list[InvoiceLine], list[LedgerEntry]],
) -> None:
    currency, lines, _ = invoice

    totals = compute_totals(currency, lines)

    assert all(not item.tax.is_negative for item in lines)
    assert all(not summary.tax.is_negative for summary in totals.taxes)
    assert not totals.tax_total.is_negative


@settings(deadline=None)
@given(
    net=st.integers(min_value=0, max_value=10**13).map(Currency("USD").from_minor_units),
    percent=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False).map(str),
)
def test_tax_on_any_net_at_any_valid_rate_is_between_nothing_and_the_net(
    net: Money, percent: str
) -> None:
    rate = parse_tax_percent(percent)

    tax = tax_on(net, rate)

    assert Money.of(0, "USD") <= tax <= net


def test_tax_is_rounded_per_line_so_the_total_matches_the_lines_shown() -> None:
    odd = RATES[3]
    lines = [line(Money.of("33.33", "USD"), rate=odd) for _ in range(3)]

    totals = compute_totals(Currency("USD"), lines)

    # 33.33 x 7.25 % = 2.416425 -> 2.42 on each line; 7.26 rather than 7.25 on 99.99.
    assert [item.tax for item in lines] == [Money.of("2.42", "USD")] * 3
    assert totals.tax_total == Money.of("7.26", "USD")
    assert totals.total == Money.of("107.25", "USD")


def test_lines_sharing_a_rate_are_summed_under_that_rate() -> None:
    vat, odd = RATES[2], RATES[3]
    lines = [
        line(Money.of("100.00", "USD"), "2", vat),
        line(Money.of("50.00", "USD"), "1", odd),
        line(Money.of("10.00", "USD"), "1.5", vat),
        line(Money.of("5.00", "USD")),
    ]

    totals = compute_totals(Currency("USD"), lines)

    by_name = {summary.name: (summary.taxable, summary.tax) for summary in totals.taxes}
    assert by_name == {
        "VAT": (Money.of("215.00", "USD"), Money.of("43.00", "USD")),
        "Odd": (Money.of("50.00", "USD"), Money.of("3.63", "USD")),
    }
    assert totals.subtotal == Money.of("270.00", "USD")
    assert totals.total == Money.of("316.63", "USD")


def test_a_fractional_quantity_is_priced_and_rounded_half_up() -> None:
    half_hour = line(Money.of("45.25", "USD"), "0.5")

    assert half_hour.net == Money.of("22.63", "USD")


def test_a_zero_decimal_currency_rounds_tax_to_whole_units() -> None:
    session = line(Money.of(8250, "JPY"), rate=(TaxRateId("jct"), "JCT", Decimal("10.0000")))

    assert session.tax == Money.of(825, "JPY")
    assert session.total == Money.of(9075, "JPY")


def test_payments_and_refunds_make_the_amount_paid() -> None:
    usd = Currency("USD")
    lines = [line(Money.of("100.00", "USD"))]
    ledger = [
        entry(EntryKind.PAYMENT, Money.of("60.00", "USD"), 1),
        entry(EntryKind.PAYMENT, Money.of("40.00", "USD"), 2),
        entry(EntryKind.REFUND, Money.of("25.00", "USD"), 3),
    ]

    totals = compute_totals(usd, lines, ledger)

    assert totals.amount_paid == Money.of("75.00", "USD")
    assert totals.balance == Money.of("25.00", "USD")

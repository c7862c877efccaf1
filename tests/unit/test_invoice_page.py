"""What the client's invoice page says in the states the browser tests do not photograph: a
cancelled invoice asks for nothing, a practice without card payments still gets a code that
opens the invoice, and the PDF link appears only when there is one."""

from __future__ import annotations

from datetime import UTC, date, datetime

from documents.render import pay_page_html
from domain.usecases.invoicing import void_invoice
from factories import ACTOR, a_client, a_practice, an_env, an_issued_invoice
from fakes import FakeUnitOfWork

PAY_URL = "https://billing.example.com/pay/t0ken"
TODAY = date(2025, 3, 14)


def _open_invoice():
    uow = FakeUnitOfWork()
    env, _clock = an_env(datetime(2025, 3, 14, 15, 0, tzinfo=UTC))
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    invoice = an_issued_invoice(uow, env, practice, client=client, lines=1, price="80.00")
    return uow, env, practice, client, invoice


def test_a_void_invoice_is_stamped_void_and_asks_for_no_balance() -> None:
    uow, env, practice, client, invoice = _open_invoice()
    voided = void_invoice(practice.id, invoice.id, "issued by mistake", ACTOR, uow, env)

    page = pay_page_html(
        practice, voided, client, state="void", today=TODAY, pay_action="/pay/t", pay_url=PAY_URL
    )

    assert 'data-stamp="VOID"' in page
    assert "There is nothing to pay" in page
    assert "Balance due" not in page
    assert 'class="qr"' not in page


def test_without_card_payments_the_code_opens_the_invoice_rather_than_promising_a_payment() -> None:
    _uow, _env, practice, client, invoice = _open_invoice()

    page = pay_page_html(
        practice,
        invoice,
        client,
        state="no_cards",
        today=TODAY,
        pay_action="/pay/t",
        pay_url=PAY_URL,
    )

    assert 'aria-label="QR code: Scan to open this invoice on your phone"' in page
    assert "Scan to pay" not in page
    assert "Pay $80.00 by card" not in page


def test_the_download_link_appears_only_when_the_pdf_has_an_address() -> None:
    _uow, _env, practice, client, invoice = _open_invoice()

    def page(pdf_url: str | None) -> str:
        return pay_page_html(
            practice,
            invoice,
            client,
            state="payable",
            today=TODAY,
            pay_action="/pay/t",
            pdf_url=pdf_url,
        )

    assert "Download PDF" not in page(None)
    assert 'href="/pay/t/invoice.pdf" download' in page("/pay/t/invoice.pdf")

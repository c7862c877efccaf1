"""The invoice as a PDF wherever the client or the team gets it: attached to the payment-link
e-mail and the receipt, downloaded from the pay page, and "Download PDF" on the card into the
clicker's DM — against the real server, the Slack and Stripe stand-ins and a real SMTP server.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from email.message import EmailMessage as MimeMessage
from typing import Any

import httpx
import pytest
from payments_scenario import (
    billing_card,
    create_issued,
    mail_to,
    pay_url,
    ready,
    set_up_stripe,
    stored,
    stripe_of,
    text_part,
)
from PIL import Image
from pypdf import PdfReader
from slack_app_fixture import BACKGROUND_TIMEOUT, SlackWorld, slack_world

from bot import invoice_settings
from bot.home import OPEN_INVOICE_SETTINGS
from bot.invoice_card import DOWNLOAD_PDF, SEND_LINK
from bot.payment_links import EMAIL
from documents.themes import palette
from domain.invoices import InvoiceStatus
from domain.practice import InvoiceTheme
from domain.usecases.settings import ConfigureInvoiceSettings, configure_invoice_settings
from helpers import wait_until
from sandbox.slack import Message, View


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("documents-world")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", payments=True) as started:
        yield started


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def attached_pdf(message: MimeMessage) -> tuple[str, bytes]:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return str(part.get_filename()), bytes(part.get_content())


def test_the_link_email_and_the_receipt_carry_their_pdfs_and_the_page_offers_the_invoice(
    world: SlackWorld,
) -> None:
    p = ready(world, "Paper Clinic", "grace@paper.example")
    set_up_stripe(world, p)
    invoice = create_issued(world, p)
    card = billing_card(world, p, invoice)
    clicked = world.slack.driver.block_action(SEND_LINK, message=card, user=p.seat.admin)
    world.slack.driver.submit_view(world.opened_view(clicked), {EMAIL: "grace@paper.example"})

    link_mail = mail_to(world, "grace@paper.example", f"Invoice {invoice.number}")
    name, content = attached_pdf(link_mail)
    assert name == f"{invoice.number}.pdf"
    assert invoice.number in pdf_text(content) and "$120.00" in pdf_text(content)

    link = re.search(r"http://\S+/pay/[A-Za-z0-9_-]+", text_part(link_mail))
    assert link is not None
    download = httpx.get(f"{link.group(0)}/invoice.pdf", timeout=10)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in download.headers["content-disposition"]
    assert "no-store" in download.headers["cache-control"]
    assert download.content == content  # the same version: the file rendered for the e-mail

    httpx.post(link.group(0), timeout=10, follow_redirects=False)
    stripe = stripe_of(world)
    stripe.driver.pay(stripe.requests("/v1/checkout/sessions", method="POST")[-1].response["id"])
    wait_until(
        lambda: stored(world, invoice).status is InvoiceStatus.PAID,
        BACKGROUND_TIMEOUT,
        what="the invoice to be paid",
    )
    receipt_name, receipt = attached_pdf(mail_to(world, "grace@paper.example", "Receipt"))
    assert receipt_name == f"{invoice.number}-R1.pdf"
    assert f"{invoice.number}-R1" in pdf_text(receipt) and "$120.00" in pdf_text(receipt)

    paid = httpx.get(f"{link.group(0)}/invoice.pdf", timeout=10)
    assert paid.content != content  # a new version: the invoice is paid now
    assert "PAID" in pdf_text(paid.content)
    (payment,) = stored(world, invoice).ledger
    again = httpx.get(f"{link.group(0)}/receipts/{payment.id}.pdf", timeout=10)
    assert again.status_code == 200 and again.content == receipt


def test_unknown_tokens_and_payments_get_the_plain_404(world: SlackWorld) -> None:
    p = ready(world, "Gone Clinic", "grace@gone.example")
    invoice = create_issued(world, p)
    url = pay_url(world, p, invoice)

    assert httpx.get(f"{world.app_url}/pay/nope/invoice.pdf", timeout=10).status_code == 404
    missing = httpx.get(f"{url}/receipts/pay_not_there.pdf", timeout=10)
    assert missing.status_code == 404 and "This link does not work" in missing.text


def test_download_pdf_on_the_card_goes_to_the_clickers_dm_only(world: SlackWorld) -> None:
    p = ready(world, "Card Clinic", "grace@card.example", client_name="Zoë Müller")
    invoice = create_issued(world, p)
    card = billing_card(world, p, invoice)

    world.slack.driver.block_action(DOWNLOAD_PDF, message=card, user=p.seat.admin)

    dm = world.slack.dm_with(p.seat.admin)

    def shared() -> Message | None:
        return next((m for m in world.slack.messages_in(dm) if m.files), None)

    message = wait_until(shared, BACKGROUND_TIMEOUT, what="the PDF in the DM")
    (file_id,) = message.files
    file = world.slack.state.files[file_id]
    assert file.name == f"{invoice.number}.pdf"
    text = pdf_text(file.content or b"")
    assert invoice.number in text and "Zoë Müller" in text
    assert invoice.number in message.text
    # Only a note in the channel, for the clicker alone; the file is not shared there.
    assert all(not m.files for m in world.slack.messages_in(p.billing))


def _preview(view: View) -> dict[str, Any] | None:
    return next((b for b in view.blocks if b.get("block_id") == invoice_settings.PREVIEW), None)


def _accent_pixels(png: bytes, theme: InvoiceTheme) -> int:
    accent = palette(theme).accent
    wanted = tuple(int(accent[i : i + 2], 16) for i in (1, 3, 5))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(
        count
        for count, colour in image.getcolors(maxcolors=1 << 24) or []
        if all(abs(a - b) <= 6 for a, b in zip(colour, wanted, strict=True))
    )


def test_invoice_settings_show_a_sample_invoice_in_the_design_being_chosen(
    world: SlackWorld,
) -> None:
    p = ready(world, "Preview Clinic", "grace@preview.example")
    form = world.open_setting(p.seat.admin, OPEN_INVOICE_SETTINGS, channel=p.seat.general)
    wait_until(lambda: _preview(form), BACKGROUND_TIMEOUT, what="the first preview")
    first = _preview(form)
    assert first is not None
    first_file = world.slack.state.files[first["slack_file"]["id"]]
    assert first_file.mimetype == "image/png" and not first_file.channels
    assert _accent_pixels(first_file.content or b"", InvoiceTheme.SLATE) > 500

    before = form.hash
    world.slack.driver.block_action(
        invoice_settings.THEME, view=form, value=InvoiceTheme.PLUM.value, user=p.seat.admin
    )
    world.wait_for_update(form, before)
    wait_until(
        lambda: (_preview(form) or {}).get("slack_file", {}).get("id") != first_file.id,
        BACKGROUND_TIMEOUT,
        what="the preview in the Plum theme",
    )
    plum = _preview(form)
    assert plum is not None and "Plum" in plum["alt_text"]
    png = world.slack.state.files[plum["slack_file"]["id"]].content or b""
    assert _accent_pixels(png, InvoiceTheme.PLUM) > 500
    assert _accent_pixels(png, InvoiceTheme.SLATE) < _accent_pixels(png, InvoiceTheme.PLUM)
    # Nothing is saved until the person presses Save.
    assert world.practice(p.seat.workspace).invoice_settings.theme is InvoiceTheme.SLATE


def test_a_stored_pdf_is_served_until_what_it_shows_changes(world: SlackWorld) -> None:
    p = ready(world, "Stamp Clinic", "grace@stamp.example")
    invoice = create_issued(world, p)
    url = f"{pay_url(world, p, invoice)}/invoice.pdf"
    first = httpx.get(url, timeout=10).content

    again = httpx.get(url, timeout=10).content
    practice = world.practice(p.seat.workspace)
    configure_invoice_settings(
        ConfigureInvoiceSettings(
            practice.id,
            p.seat.admin.id,
            template="modern",
            theme="plum",
            payment_terms_days=30,
            number_prefix="INV-",
            footer="New footer for every invoice",
        ),
        world.uow(),
        world.env,
    )
    changed = httpx.get(url, timeout=10).content

    assert again == first  # the stored file, not a new render
    assert changed != first
    assert "New footer for every invoice" in pdf_text(changed)
    assert "within 30 days" in pdf_text(changed)

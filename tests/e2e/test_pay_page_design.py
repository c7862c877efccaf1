"""The client's invoice page wears the practice's chosen design: each template's layout in each
theme's colours, the logo (of any shape) or a text mark, a PAID or OVERDUE stamp, the pay
link's QR code while something is owed, and a table that folds sensibly on a phone. The
e-mails carry the theme too.

One server serves every variant: the practice's invoice settings are switched through the
use case between page loads, as an admin's Save would. Every template × theme is
photographed at a phone's and a desktop's width into tests/artifacts/pay-page/ for a person
to look at."""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage as MimeMessage

import httpx
import pytest
from payments_scenario import (
    Practice,
    mail_to,
    pay_url,
    ready,
    set_up_stripe,
    stored,
    stripe_of,
    text_part,
)
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader
from slack_app_fixture import BACKGROUND_TIMEOUT, SlackWorld, slack_world

from documents.themes import palette
from domain.invoices import Invoice, InvoiceStatus, LineInput
from domain.money import Money
from domain.practice import InvoiceTemplate, InvoiceTheme
from domain.usecases.invoicing import CreateInvoice, create_invoice
from domain.usecases.settings import (
    AddTaxRate,
    ConfigureBillingDetails,
    ConfigureInvoiceSettings,
    LogoUpload,
    add_tax_rate,
    configure_billing_details,
    configure_invoice_settings,
)
from helpers import ARTIFACTS, wait_until

SHOTS = ARTIFACTS / "pay-page"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PRACTICE = "Harbourside Physiotherapy"
CLIENT_EMAIL = "grace@harbourside.example"

# -- logos of awkward shapes, made here so the test needs no image files -----------------------

#: An 8:1 wordmark, dark on a transparent background.
WIDE_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 60">
<rect x="2" y="8" width="44" height="44" rx="10" fill="#1e293b"/>
<text x="60" y="44" font-family="Georgia, serif" font-size="38" fill="#1e293b">Harbourside</text>
</svg>"""


def _png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int, int]]) -> bytes:
    """An RGBA PNG drawn by `pixel(x, y)`."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _crest(x: int, y: int) -> tuple[int, int, int, int]:
    """A 1:4 crest: a dark disc over a dark bar, on nothing (fully transparent)."""
    in_disc = (x - 30) ** 2 + (y - 32) ** 2 <= 26**2
    in_bar = 12 <= x <= 48 and 70 <= y <= 230
    return (30, 41, 59, 255) if in_disc or in_bar else (0, 0, 0, 0)


TALL_PNG = _png(60, 240, _crest)
LOGOS: dict[str, LogoUpload | None] = {
    "text-mark": None,
    "wide-logo": LogoUpload("wordmark.svg", WIDE_SVG),
    "tall-logo": LogoUpload("crest.png", TALL_PNG),
}


# -- the practice and its three invoices ---------------------------------------------------------


@dataclass(frozen=True)
class Clinic:
    practice: Practice
    open_url: str
    overdue_url: str
    paid_url: str
    open_invoice: Invoice


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("pay-design-world")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", payments=True) as started:
        yield started


def _issued(
    world: SlackWorld, p: Practice, lines: tuple[LineInput, ...], issued: date, due: date
) -> Invoice:
    practice = world.practice(p.seat.workspace)
    return create_invoice(
        CreateInvoice(practice.id, p.seat.admin.id, p.client.id, lines, issued, due, issue=True),
        world.uow(),
        world.env,
    )


@pytest.fixture(scope="module")
def clinic(world: SlackWorld) -> Clinic:
    """A practice with full billing details and card payments, and three invoices to one
    client: open (three lines, one taxed), overdue, and paid."""
    p = ready(world, PRACTICE, CLIENT_EMAIL)
    practice = world.practice(p.seat.workspace)
    admin = p.seat.admin.id
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            admin,
            PRACTICE,
            "USD",
            "America/New_York",
            address_line1="12 Wharf Street",
            city="Portland",
            region="ME",
            postal_code="04101",
            country="US",
            tax_number="12-3456789",
            licence_number="PT-004512",
            billing_channel_id=p.billing.id,
        ),
        world.uow(),
        world.env,
    )
    set_up_stripe(world, p)
    tax = add_tax_rate(AddTaxRate(practice.id, admin, "Sales tax", "8.25"), world.uow(), world.env)
    today = world.env.today_at(world.practice(p.seat.workspace))

    def line(price: str, quantity: str, description: str, days_ago: int) -> LineInput:
        return LineInput(
            service_date=today - timedelta(days=days_ago),
            description=description,
            quantity=Decimal(quantity),
            unit_price=Money.of(price, "USD"),
            service_type_id=p.service.id,
        )

    assessment = line("120.00", "1", "Initial assessment", 9)
    sessions = line("95.00", "2", "Follow-up physiotherapy session", 2)
    band = LineInput(
        service_date=today - timedelta(days=2),
        description="Resistance band set",
        quantity=Decimal(1),
        unit_price=Money.of("24.50", "USD"),
        tax_rate_id=tax.id,
    )
    # The e-mails are written when the outbox delivers them: in Modern, Forest, text mark.
    _design(world, p, InvoiceTemplate.MODERN, InvoiceTheme.FOREST, None)
    open_invoice = _issued(world, p, (assessment, sessions, band), today, today + timedelta(14))
    overdue = _issued(
        world,
        p,
        (line("120.00", "1", "Initial assessment", 42),),
        today - timedelta(days=40),
        today - timedelta(days=26),
    )
    paid = _issued(world, p, (assessment,), today - timedelta(days=3), today + timedelta(11))
    urls = [pay_url(world, p, invoice) for invoice in (open_invoice, overdue, paid)]
    _pay_by_card(world, urls[2], paid)
    # Written as they are delivered: they must be out before the tests change the design.
    mail_to(world, CLIENT_EMAIL, f"Invoice {open_invoice.number}")
    mail_to(world, CLIENT_EMAIL, "Receipt")
    return Clinic(p, *urls, open_invoice=open_invoice)


def _pay_by_card(world: SlackWorld, url: str, invoice: Invoice) -> None:
    """The client presses Pay and pays on Stripe's Checkout (the stand-in's)."""
    to_stripe = httpx.post(url, timeout=10, follow_redirects=False)
    assert to_stripe.status_code == 303, to_stripe.text
    stripe = stripe_of(world)
    session = stripe.requests("/v1/checkout/sessions", method="POST")[-1].response
    stripe.driver.pay(session["id"])
    wait_until(
        lambda: stored(world, invoice).status is InvoiceStatus.PAID,
        BACKGROUND_TIMEOUT,
        what="the invoice to be paid",
    )


def _design(
    world: SlackWorld,
    p: Practice,
    template: InvoiceTemplate,
    theme: InvoiceTheme,
    logo: LogoUpload | None,
) -> None:
    """The admin saves the invoice settings: template, theme, and a new logo or none."""
    practice = world.practice(p.seat.workspace)
    configure_invoice_settings(
        ConfigureInvoiceSettings(
            practice.id,
            p.seat.admin.id,
            template.value,
            theme.value,
            14,
            "INV-",
            details="Bank transfer: First Maine Bank, routing 011200365, account 4471 2290",
            footer="Thank you for choosing Harbourside. Questions? Call (207) 555-0142.",
            new_logo=logo,
            remove_logo=logo is None,
        ),
        world.uow(),
        world.env,
    )


# -- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def desktop(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def phone(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _rgb(colour: str) -> str:
    """`#rrggbb` as the browser reports a computed colour."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def _style(page: Page, selector: str, prop: str) -> str:
    return str(
        page.locator(selector).first.evaluate(
            f"(element) => getComputedStyle(element).getPropertyValue('{prop}')"
        )
    )


def _fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def _logo_loaded(page: Page) -> dict[str, float]:
    """The logo's natural width (0: it did not load) and the box it is drawn in."""
    logo = page.locator("article.invoice img.logo")
    expect(logo).to_be_visible()
    found: dict[str, float] = logo.evaluate(
        "(img) => img.decode().then(() => { const r = img.getBoundingClientRect();"
        " return {natural: img.naturalWidth, width: r.width, height: r.height}; })"
    )
    return found


def _looks_like(page: Page, template: InvoiceTemplate, theme: InvoiceTheme) -> None:
    """What tells the designs apart, as a reader sees them."""
    colours = palette(theme)
    sheet = page.locator("article.invoice")
    expect(sheet).to_have_attribute("data-template", template.value)
    expect(sheet).to_have_attribute("data-theme", theme.value)
    expect(page.get_by_role("button", name=re.compile(r"Pay \$336\.52 by card"))).to_have_css(
        "background-color", _rgb(colours.accent)
    )
    if template is InvoiceTemplate.CLASSIC:
        assert "Georgia" in _style(page, "article.invoice h1", "font-family")
        expect(sheet.locator("h1")).to_have_css("color", _rgb(colours.accent))
    elif template is InvoiceTemplate.MODERN:
        expect(sheet.locator(".masthead")).to_have_css("background-color", _rgb(colours.accent))
        expect(sheet.locator(".masthead .practice-name")).to_have_css(
            "color", _rgb(colours.on_accent)
        )
        expect(sheet.locator(".lines tbody tr").nth(1).locator("td").first).to_have_css(
            "background-color", _rgb(colours.tint)
        )
    else:
        expect(sheet.locator(".billed-to .label")).to_have_css(
            "font-variant-caps", "all-small-caps"
        )
        expect(sheet.locator(".lines td").first).to_have_css("border-bottom-width", "1px")


# -- the tests -----------------------------------------------------------------------------------


def test_every_template_in_every_theme_dresses_the_open_invoice(
    world: SlackWorld, clinic: Clinic, desktop: Page, phone: Page
) -> None:
    logo_names = list(LOGOS)
    for index, (template, theme) in enumerate(
        (template, theme) for template in InvoiceTemplate for theme in InvoiceTheme
    ):
        # Each design meets each kind of logo across the themes.
        logo_name = logo_names[index % len(logo_names)]
        _design(world, clinic.practice, template, theme, LOGOS[logo_name])
        name = f"{template.value}-{theme.value}-{logo_name}"

        desktop.goto(clinic.open_url)
        _looks_like(desktop, template, theme)
        sheet = desktop.locator("article.invoice")
        expect(sheet.locator(".stamp")).to_have_count(0)
        expect(desktop.locator(".pay-panel .amount")).to_have_text("$336.52")
        expect(sheet.locator(".totals .balance")).to_contain_text("$336.52")
        expect(sheet.locator(".totals")).to_contain_text("Sales tax 8.25")
        expect(sheet).to_contain_text("Tax number 12-3456789")
        expect(sheet).to_contain_text("Licence number PT-004512")
        qr = sheet.get_by_role("img", name=re.compile("Scan to pay on your phone"))
        expect(qr).to_be_visible()
        expect(desktop.get_by_role("link", name="Download PDF")).to_have_attribute(
            "href", re.compile(r"^/pay/[A-Za-z0-9_-]+/invoice\.pdf$")
        )
        if LOGOS[logo_name] is None:
            expect(sheet.locator(".text-mark")).to_have_text("HP")
            expect(sheet.locator("img.logo")).to_have_count(0)
        else:
            drawn = _logo_loaded(desktop)
            assert drawn["natural"] > 0, "the logo did not load"
            assert drawn["width"] <= 200 and drawn["height"] <= 72, drawn
            # The logo of the settings just saved, not the one the browser saw before.
            wide = drawn["width"] > drawn["height"]
            assert wide == (logo_name == "wide-logo"), (logo_name, drawn)
            if template is InvoiceTemplate.MODERN:
                # A dark transparent logo would vanish on the band: it sits on the paper.
                expect(sheet.locator(".logo-box")).to_have_css(
                    "background-color", _rgb(palette(theme).paper)
                )
        _shot(desktop, f"{name}-1280")

        phone.goto(clinic.open_url)
        _fits_the_screen(phone)
        # The quantity and price columns fold under each service; nothing is lost.
        expect(phone.locator("article.invoice .col-qty").first).to_be_hidden()
        expect(phone.locator("article.invoice .line-meta").nth(1)).to_contain_text("2 × $95.00")
        expect(phone.get_by_role("button", name=re.compile(r"Pay \$336\.52"))).to_be_in_viewport()
        _shot(phone, f"{name}-390")


def test_a_paid_invoice_is_stamped_paid_and_offers_no_qr_code(
    world: SlackWorld, clinic: Clinic, desktop: Page, phone: Page
) -> None:
    for template, theme in zip(
        InvoiceTemplate, (InvoiceTheme.OCEAN, InvoiceTheme.SUNSET, InvoiceTheme.SLATE), strict=False
    ):
        _design(world, clinic.practice, template, theme, LOGOS["tall-logo"])
        for page, width in ((desktop, 1280), (phone, 390)):
            page.goto(clinic.paid_url)
            sheet = page.locator("article.invoice")
            expect(sheet.locator(".stamp")).to_have_text("Status: PAID")
            expect(sheet.locator(".stamp")).to_be_visible()
            expect(page.get_by_role("status")).to_have_text("Paid in full. Thank you!")
            expect(sheet.locator("svg.qr")).to_have_count(0)
            expect(page.get_by_role("button", name=re.compile("Pay"))).to_have_count(0)
            expect(sheet.locator(".totals .balance")).to_contain_text("$0.00")
            expect(sheet.locator(".totals .paid")).to_contain_text("$120.00")
            _shot(page, f"paid-{template.value}-{theme.value}-{width}")


def test_an_overdue_invoice_is_stamped_overdue(
    world: SlackWorld, clinic: Clinic, desktop: Page, phone: Page
) -> None:
    for template, theme in zip(
        InvoiceTemplate, (InvoiceTheme.PLUM, InvoiceTheme.SLATE, InvoiceTheme.FOREST), strict=False
    ):
        _design(world, clinic.practice, template, theme, None)
        for page, width in ((desktop, 1280), (phone, 390)):
            page.goto(clinic.overdue_url)
            sheet = page.locator("article.invoice")
            expect(sheet.locator(".stamp")).to_have_text("Status: OVERDUE")
            # Red ink, but the word says it for anyone who cannot tell colours apart.
            expect(sheet.locator(".stamp")).to_have_css("color", "rgb(180, 35, 24)")
            expect(page.locator(".pay-panel")).to_contain_text("This invoice was due")
            expect(page.locator(".pay-panel .amount")).to_have_text("$120.00")
            qr = sheet.locator("svg.qr")
            # On the phone itself the Pay button is at hand; a code to scan is not shown.
            if page is desktop:
                expect(qr).to_be_visible()
            else:
                expect(qr).to_be_hidden()
            _shot(page, f"overdue-{template.value}-{theme.value}-{width}")


def _html_part(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_the_client_emails_wear_the_practice_theme(
    world: SlackWorld, clinic: Clinic, desktop: Page
) -> None:
    forest = palette(InvoiceTheme.FOREST)
    link_mail = mail_to(world, CLIENT_EMAIL, f"Invoice {clinic.open_invoice.number}")
    receipt = mail_to(world, CLIENT_EMAIL, "Receipt")
    assert "/pay/" in text_part(link_mail) and "$120.00" in text_part(receipt)
    for name, message in (("email-payment-link", link_mail), ("email-receipt", receipt)):
        desktop.set_content(_html_part(message))
        # The practice's initials in the theme's circle head the e-mail.
        expect(desktop.get_by_text("HP", exact=True)).to_have_css(
            "background-color", _rgb(forest.accent)
        )
        _shot(desktop, name)
    desktop.set_content(_html_part(link_mail))
    button = desktop.get_by_role("link", name=f"View and pay invoice {clinic.open_invoice.number}")
    expect(button).to_have_css("background-color", _rgb(forest.accent))
    expect(button).to_have_css("color", _rgb(forest.on_accent))


def test_printing_the_page_prints_the_invoice_alone_on_one_page(
    world: SlackWorld, clinic: Clinic, browser: Browser
) -> None:
    """ "Print" (or "Save as PDF") in the browser gives the sheet without the pay panel."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        for template, theme in zip(InvoiceTemplate, InvoiceTheme, strict=False):
            _design(world, clinic.practice, template, theme, LOGOS["wide-logo"])
            page.goto(clinic.open_url)
            page.emulate_media(media="print")
            expect(page.locator(".pay-panel")).to_be_hidden()
            expect(page.locator("article.invoice svg.qr")).to_be_visible()
            printed = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
            assert len(printed.pages) == 1, f"{template.value} prints on {len(printed.pages)} pages"
            text = printed.pages[0].extract_text()
            assert "$336.52" in text and "Pay $336.52 by card" not in text
            page.emulate_media(media="screen")
    finally:
        context.close()

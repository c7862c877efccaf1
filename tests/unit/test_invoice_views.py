"""The invoice card and the new-invoice modal as Block Kit: what a posted card may show under
privacy mode, which actions each status offers, and a full modal within Slack's limits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.invoice_card import (
    DETAILS,
    DOWNLOAD_PDF,
    EDIT,
    HISTORY,
    ISSUE,
    PAUSE_REMINDERS,
    RECORD_PAYMENT,
    REMIND_NOW,
    RESUME_REMINDERS,
    SEND_LINK,
    VOID,
    card_blocks,
    card_text,
    history_modal,
)
from bot.invoice_form import (
    LINE_PRICE,
    LINE_QUANTITY,
    LINE_SERVICE,
    MAX_LINES,
    Draft,
    first_draft,
    line_form_errors,
    new_invoice_modal,
)
from domain.errors import ValidationError
from domain.ports import Env
from domain.usecases.invoice_screens import (
    InvoiceCard,
    invoice_card,
    invoice_history,
    new_invoice_form,
)
from domain.usecases.invoicing import issue_invoice, preview_lines, void_invoice
from domain.usecases.pay_links import SendPaymentLink, send_payment_link
from domain.usecases.reminders import PauseReminders, pause_reminders
from factories import ACTOR, a_client, a_line, a_practice, a_service, a_tax_rate, an_invoice
from fakes import FakeUnitOfWork


def _card(uow: FakeUnitOfWork, env: Env, *, state: str = "draft") -> InvoiceCard:
    practice = a_practice(uow, env)
    rate = a_tax_rate(uow, env, practice)
    service = a_service(uow, env, practice, name="Trauma therapy", tax_rate=rate)
    client = a_client(uow, env, practice, name="Grace Hopper", email="grace@example.org")
    line = replace(a_line(practice, description="Trauma therapy"), service_type_id=service.id)
    invoice = an_invoice(uow, env, practice, client=client, lines=[line])
    if state != "draft":
        issue_invoice(practice.id, invoice.id, ACTOR, uow, env)
    if state == "void":
        void_invoice(practice.id, invoice.id, "Wrong client: Grace", ACTOR, uow, env)
    return invoice_card(practice.id, invoice.id, uow, env)


def _shown(blocks: list[object]) -> str:
    return json.dumps([block.to_dict() for block in blocks])  # type: ignore[attr-defined]


def _actions(card: InvoiceCard) -> set[str]:
    return {
        element["action_id"]
        for block in card_blocks(card)
        for element in block.to_dict().get("elements", [])
        if "action_id" in element
    }


def test_a_posted_card_in_privacy_mode_shows_initials_and_no_service(
    uow: FakeUnitOfWork, env: Env
) -> None:
    card = _card(uow, env)

    shown = _shown(card_blocks(card)) + card_text(card)

    assert "G.H." in shown and card.invoice.number in shown
    assert "Grace" not in shown and "Trauma" not in shown


def test_a_voided_cards_reason_stays_out_of_the_channel(uow: FakeUnitOfWork, env: Env) -> None:
    card = _card(uow, env, state="void")

    assert "Grace" not in _shown(card_blocks(card))
    assert "Wrong client" in _shown(card_blocks(card, private=True))


def test_without_privacy_mode_or_when_private_the_card_shows_the_name(
    uow: FakeUnitOfWork, env: Env
) -> None:
    card = _card(uow, env)

    assert "Grace Hopper" in _shown(card_blocks(replace(card, privacy_mode=False)))
    assert "Grace Hopper" in _shown(card_blocks(card, private=True))


def test_each_status_offers_its_own_actions(uow: FakeUnitOfWork, env: Env) -> None:
    always = {DETAILS, HISTORY, DOWNLOAD_PDF}
    assert _actions(_card(uow, env)) == {EDIT, ISSUE, VOID} | always
    unpaid = {RECORD_PAYMENT, SEND_LINK, REMIND_NOW, VOID} | always
    assert _actions(_card(uow, env, state="open")) == unpaid
    assert _actions(_card(uow, env, state="void")) == always


def test_an_unpaid_invoice_can_pause_its_reminders_while_the_practice_sends_them(
    uow: FakeUnitOfWork, env: Env
) -> None:
    card = _card(uow, env, state="open")

    sending = replace(card, reminders_on=True)
    paused = replace(card, reminders_on=True, reminders_paused=True)

    assert PAUSE_REMINDERS in _actions(sending) and RESUME_REMINDERS not in _actions(sending)
    assert RESUME_REMINDERS in _actions(paused) and PAUSE_REMINDERS not in _actions(paused)
    assert "Automatic reminders are paused" in _shown(card_blocks(paused))
    assert PAUSE_REMINDERS not in _actions(card), "nothing to pause while reminders are off"


def test_an_unpaid_invoice_past_its_due_date_shows_overdue(uow: FakeUnitOfWork, env: Env) -> None:
    card = _card(uow, env, state="open")
    late = replace(card, today=card.invoice.due_date + timedelta(days=1))

    assert "Overdue" in card_text(late) and "Overdue" not in card_text(card)


def test_a_modal_with_the_most_lines_stays_within_slacks_block_limit(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    a_service(uow, env, practice)
    form = new_invoice_form(practice.id, uow, env)
    lines = tuple(a_line(practice, description="x" * 200) for _ in range(MAX_LINES))
    draft = replace(first_draft(form), lines=lines, problem="Something to fix")

    modal = new_invoice_modal(form, draft, preview_lines(practice.id, None, lines, uow, env))

    shown = modal.to_dict()  # slack_sdk checks Slack's limits here
    assert len(shown["blocks"]) <= 100
    assert len(shown["private_metadata"]) < 3000


def test_errors_of_the_line_being_added_go_under_its_inputs_and_earlier_lines_are_named() -> None:
    error = ValidationError(
        {"lines.2.unit_price": "Too much.", "lines.0.quantity": "Zero.", "due_date": "Early."}
    )

    shown = line_form_errors(error, pending_index=2)

    assert shown == {LINE_PRICE: "Too much.", LINE_SERVICE: "Line 1: Zero.", "due_date": "Early."}
    assert LINE_QUANTITY not in shown


def test_the_form_starts_from_its_prefill(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)

    draft: Draft = first_draft(new_invoice_form(practice.id, uow, env, client_id=client.id))

    assert draft.client is not None and draft.client[0] == client.id
    assert draft.issue_date == env.today_at(practice) and draft.lines == ()
    assert draft.issue_date <= draft.due_date


def test_the_history_says_in_words_what_was_done_to_the_invoice(
    uow: FakeUnitOfWork, env: Env
) -> None:
    card = _card(uow, env, state="open")
    practice_id, invoice_id = card.invoice.practice_id, card.invoice.id
    send_payment_link(
        SendPaymentLink(practice_id, ACTOR, invoice_id, "Grace Hopper", "grace@example.org"),
        uow,
        env,
    )
    pause_reminders(PauseReminders(practice_id, ACTOR, invoice_id, True), uow, env)
    invoice, events = invoice_history(practice_id, invoice_id, uow, env)

    shown = _shown(history_modal(invoice, events, card.zone, "en_GB").blocks)

    for words in ("Created", "Issued", "Payment link sent", "Reminders paused"):
        assert f"*{words}*" in shown
    assert "payment_link.sent" not in shown

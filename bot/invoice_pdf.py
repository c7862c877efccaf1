""" "Download PDF" on an invoice card: the invoice as its client sees it, uploaded to the
clicker's DM with the app."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import action
from bot.invoice_card import DOWNLOAD_PDF
from documents.invoice_files import invoice_pdf_file
from domain.ids import InvoiceId
from domain.roles import Role
from domain.usecases.pay_links import invoice_for_mail


def send_pdf(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """Runs after the ack (as every card action does), since rendering and the three-step
    upload can take longer than Slack waits for one."""
    invoice_id = InvoiceId(str(body["actions"][0].get("value") or ""))
    records = invoice_for_mail(caller.practice.id, invoice_id, deps.read())
    pdf = invoice_pdf_file(
        records,
        today=deps.env.today_at(caller.practice),
        public_base_url=deps.public_base_url,
        files=deps.uow,
    )
    # The PDF names the client and their services: it goes to the clicker alone, never to
    # the channel the card is in.
    dm = client.conversations_open(users=caller.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=dm,
        content=pdf.content,
        filename=pdf.filename,
        title=pdf.filename,
        initial_comment=f"Invoice {records.invoice.number}, as its client sees it today.",
    )
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    if channel and channel != dm:
        client.chat_postEphemeral(
            channel=channel,
            user=caller.user_id,
            text=f"{pdf.filename} is in your DM with Billing Bot.",
        )


def register(app: App, deps: BotDeps) -> None:
    app.action(DOWNLOAD_PDF)(action(deps, Role.STAFF, partial(send_pdf, deps)))

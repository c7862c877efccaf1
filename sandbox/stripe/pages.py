"""The hosted pages a person sees, as HTML: Checkout, Express onboarding, the Express
dashboard, a receipt, and short notices (expired link, completed payment).

Plain server-rendered forms (no script), laid out like Stripe's own pages: one column on a
phone, two on a wide screen; labelled fields, errors announced with ``role="alert"`` and
tied to their field with ``aria-describedby``. Every value shown is escaped here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any

from sandbox.stripe.currencies import display

_STYLE = """
:root { --accent: #635bff; --accent-dark: #4b45c6; --text: #1a1f36; --muted: #5e6a7d;
  --border: #d5dbe1; --bg: #f6f9fc; --danger: #c0123c; --ok: #0e6245; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: var(--bg);
  font: 16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
  Ubuntu, "DejaVu Sans", sans-serif; }
.test-mode { background: #ffd87a; color: #5c3b00; text-align: center; font-size: 12px;
  font-weight: 700; letter-spacing: .06em; padding: 3px; }
main { max-width: 980px; margin: 0 auto; padding: 40px 20px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 16px; }
a { color: var(--accent); }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 64px; align-items: start; }
@media (max-width: 760px) { .grid { grid-template-columns: 1fr; gap: 28px; }
  main { padding: 20px 16px; } }
.back { display: inline-block; color: var(--muted); text-decoration: none; font-weight: 600;
  margin-bottom: 24px; }
.merchant { color: var(--muted); font-weight: 600; margin: 0; }
.merchant + h1 { margin-top: 8px; }
.amount { font-size: 36px; font-weight: 700; margin: 4px 0 24px; letter-spacing: -.02em; }
.lines { list-style: none; padding: 0; margin: 0; border-top: 1px solid var(--border); }
.lines li { display: flex; justify-content: space-between; gap: 16px; padding: 12px 0;
  border-bottom: 1px solid var(--border); }
.lines .qty { color: var(--muted); font-size: 14px; }
.panel { background: #fff; border-radius: 10px; padding: 28px;
  box-shadow: 0 0 0 1px rgba(60,66,87,.08), 0 2px 8px rgba(60,66,87,.10); }
fieldset.card { border: 0; padding: 0; margin: 0; }
label, legend { display: block; padding: 0; font-size: 14px; font-weight: 600; color: var(--muted);
  margin: 16px 0 6px; }
input { width: 100%; font: inherit; padding: 10px 12px; border: 1px solid var(--border);
  border-radius: 6px; background: #fff; color: var(--text); }
input:focus { outline: 3px solid rgba(99,91,255,.35); border-color: var(--accent); }
input[aria-invalid="true"] { border-color: var(--danger); }
.card-group { border: 1px solid var(--border); border-radius: 6px; }
.card-group input { border: 0; border-radius: 0; }
.card-group .row { display: flex; border-top: 1px solid var(--border); }
.card-group .row input + input { border-left: 1px solid var(--border); }
.field-error { color: var(--danger); font-size: 14px; margin: 6px 0 0; }
.notice { margin: 0 0 16px; padding: 12px 14px; border-radius: 6px; background: #fff1f3;
  color: var(--danger); border: 1px solid #f7c6d0; }
.hint { color: var(--muted); font-size: 13px; margin: 16px 0 0; }
button { width: 100%; margin-top: 24px; padding: 13px; border: 0; border-radius: 6px;
  font: inherit; font-weight: 700; color: #fff; background: var(--accent); cursor: pointer; }
button:hover, button:focus-visible { background: var(--accent-dark); }
button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--border);
  margin-top: 12px; }
.divider { display: flex; align-items: center; gap: 12px; color: var(--muted); font-size: 14px;
  margin: 24px 0 0; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--border); }
.steps { padding-left: 20px; } .steps li { margin: 6px 0; }
.status { display: inline-block; border-radius: 4px; padding: 1px 8px; font-size: 13px;
  font-weight: 700; background: #e3e8ee; color: #3c4257; }
.status.ok { background: #d7f7c2; color: var(--ok); }
.status.bad { background: #ffe7f2; color: var(--danger); }
table { width: 100%; border-collapse: collapse; font-size: 15px; }
th, td { text-align: left; padding: 10px 8px; border-bottom: 1px solid var(--border); }
th { color: var(--muted); font-size: 13px; }
td.num, th.num { text-align: right; }
footer { color: var(--muted); font-size: 13px; text-align: center; margin-top: 40px; }
"""


def _layout(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        '<div class="test-mode" role="note">TEST MODE</div>'
        f"<main>{body}</main></body></html>"
    )


def _footer() -> str:
    return "<footer>Powered by <strong>stripe</strong> (local stand-in) · Test mode</footer>"


def _field(
    name: str,
    label: str,
    value: str,
    errors: Mapping[str, str],
    **attributes: str,
) -> str:
    extra = " ".join(f'{key.replace("_", "-")}="{escape(val)}"' for key, val in attributes.items())
    error = errors.get(name)
    described = f' aria-invalid="true" aria-describedby="{name}-error"' if error else ""
    html = (
        f'<label for="{name}">{escape(label)}</label>'
        f'<input id="{name}" name="{name}" value="{escape(value)}" {extra}{described}>'
    )
    if error:
        html += f'<p class="field-error" id="{name}-error" role="alert">{escape(error)}</p>'
    return html


def _card_input(
    name: str,
    label: str,
    placeholder: str,
    autocomplete: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    described: str,
) -> str:
    invalid = ' aria-invalid="true"' if name in errors else ""
    return (
        f'<input id="{name}" name="{name}" value="{escape(values.get(name, ""))}"'
        f' placeholder="{placeholder}" inputmode="numeric" autocomplete="{autocomplete}"'
        f' aria-label="{label}" required{invalid}{described}>'
    )


def checkout(
    session: Mapping[str, Any],
    merchant: str,
    items: Iterable[Mapping[str, Any]],
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> str:
    """The payment page of an open Checkout Session."""
    values, errors = values or {}, errors or {}
    currency = session["currency"]
    total = display(session["amount_total"], currency)
    back = (
        f'<a class="back" href="{escape(session["cancel_url"])}">← Back to {escape(merchant)}</a>'
        if session["cancel_url"]
        else ""
    )
    lines = "".join(
        f"<li><span>{escape(item['description'])}"
        f'<br><span class="qty">Qty {item["quantity"]}</span></span>'
        f"<span>{escape(display(item['amount_total'], currency))}</span></li>"
        for item in items
    )
    summary = (
        f'<section aria-label="Order summary">{back}<p class="merchant">Pay {escape(merchant)}</p>'
        f'<p class="amount">{escape(total)}</p><ul class="lines">{lines}</ul></section>'
    )
    email = (
        ""
        if session["customer_email"]
        else _field(
            "email",
            "Email",
            values.get("email", ""),
            errors,
            type="email",
            autocomplete="email",
            required="required",
        )
    )
    card_error = next(
        (errors[name] for name in ("card_number", "expiry", "cvc") if name in errors), None
    )
    described = ' aria-describedby="card-error"' if card_error else ""
    card = (
        '<fieldset class="card"><legend>Card information</legend><div class="card-group">'
        + _card_input(
            "card_number",
            "Card number",
            "1234 1234 1234 1234",
            "cc-number",
            values,
            errors,
            described,
        )
        + '<div class="row">'
        + _card_input(
            "expiry", "Expiration date (MM / YY)", "MM / YY", "cc-exp", values, errors, described
        )
        + _card_input("cvc", "Security code (CVC)", "CVC", "cc-csc", values, errors, described)
        + "</div></div></fieldset>"
    )
    if card_error:
        card += f'<p class="field-error" id="card-error" role="alert">{escape(card_error)}</p>'
    name = _field("name", "Name on card", values.get("name", ""), errors, autocomplete="cc-name")
    alert = f'<p class="notice" role="alert">{escape(notice)}</p>' if notice else ""
    pay = "Book" if session["submit_type"] == "book" else "Pay"
    form = (
        f'<form method="post" class="panel" aria-labelledby="pay-heading" novalidate>'
        f'<h2 id="pay-heading">Pay with card</h2>{alert}{email}{card}{name}'
        '<input type="hidden" name="method" value="card">'
        f'<button type="submit">{pay} {escape(total)}</button>'
        '<p class="hint">Test mode: pay with 4242 4242 4242 4242, any future date and any'
        " CVC.</p></form>"
    )
    debits = [m for m in session["payment_method_types"] if m != "card"]
    if debits:
        form += (
            '<form method="post"><p class="divider">or</p>'
            f'<input type="hidden" name="method" value="{escape(debits[0])}">'
            f'<input type="hidden" name="email" value="{escape(values.get("email", ""))}">'
            f'<button type="submit" class="secondary">Pay {escape(total)} by bank debit</button>'
            "</form>"
        )
    return _layout(
        f"Pay {merchant}",
        f'<div class="grid">{summary}<div>{form}</div></div>{_footer()}',
    )


def notice(title: str, message: str, *, link: tuple[str, str] | None = None) -> str:
    """A short page: a completed or expired checkout, a used link, something not found."""
    action = f'<p><a href="{escape(link[0])}">{escape(link[1])}</a></p>' if link else ""
    return _layout(
        title,
        f'<section class="panel" style="max-width:480px;margin:40px auto">'
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>{action}</section>{_footer()}",
    )


def onboarding(account: Mapping[str, Any], platform: str) -> str:
    """Express onboarding: what Stripe collects, with a button that submits it all."""
    due = len(account["requirements"]["currently_due"])
    email = account["email"] or "no e-mail yet"
    body = (
        '<section class="panel" style="max-width:560px;margin:0 auto">'
        f'<p class="merchant">{escape(platform)} partners with Stripe for secure payments'
        " and payouts</p>"
        f"<h1>Get paid by {escape(platform)}</h1>"
        f"<p>Account <strong>{escape(account['id'])}</strong> · {escape(email)}</p>"
        f"<p>Stripe still needs {due} detail{'s' if due != 1 else ''}:</p>"
        '<ol class="steps"><li>Business type and details</li><li>Personal details of the'
        " account's representative</li><li>A bank account for payouts</li><li>Acceptance"
        " of Stripe's Connected Account Agreement</li></ol>"
        '<p class="hint">Test mode: every step is filled in with test data.</p>'
        '<form method="post"><button type="submit" name="action" value="finish">'
        "Finish onboarding</button>"
        '<button type="submit" name="action" value="exit" class="secondary">'
        "Save and finish later</button></form></section>"
    )
    return _layout(f"Get paid by {platform}", body + _footer())


def dashboard(account: Mapping[str, Any], charges: Iterable[Mapping[str, Any]]) -> str:
    """The Express dashboard: whether the account can charge and be paid, and its payments."""
    name = account["business_profile"]["name"] or account["email"] or account["id"]

    def flag(label: str, on: bool) -> str:
        return (
            f'<span class="status {"ok" if on else "bad"}">{label}: {"on" if on else "off"}</span>'
        )

    rows = "".join(
        f"<tr><td>{escape(_date(charge['created']))}</td>"
        f"<td>{escape(charge['description'] or charge['id'])}</td>"
        f'<td><span class="status {_tone(charge)}">{escape(_charge_status(charge))}</span></td>'
        f'<td class="num">{escape(display(charge["amount"], charge["currency"]))}</td></tr>'
        for charge in charges
    )
    table = (
        '<table><thead><tr><th scope="col">Date</th><th scope="col">Description</th>'
        '<th scope="col">Status</th><th scope="col" class="num">Amount</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if rows
        else "<p>No payments yet.</p>"
    )
    body = (
        f'<section class="panel"><p class="merchant">Express dashboard</p>'
        f"<h1>{escape(name)}</h1><p>{flag('Charges', account['charges_enabled'])} "
        f"{flag('Payouts', account['payouts_enabled'])}</p><h2>Payments</h2>{table}</section>"
    )
    return _layout(f"{name} · Express", body + _footer())


def receipt(charge: Mapping[str, Any], merchant: str) -> str:
    """A charge's receipt, as ``receipt_url`` shows it."""
    currency = charge["currency"]
    method = charge["payment_method_details"]
    if method["type"] == "card":
        paid_with = f"{method['card']['brand'].title()} •••• {method['card']['last4']}"
    else:
        paid_with = f"Bank debit •••• {method[method['type']]['last4']}"
    refunded = (
        f'<tr><th scope="row">Refunded</th><td class="num">'
        f"{escape(display(charge['amount_refunded'], currency))}</td></tr>"
        if charge["amount_refunded"]
        else ""
    )
    body = (
        '<section class="panel" style="max-width:480px;margin:0 auto">'
        f'<p class="merchant">Receipt from {escape(merchant)}</p>'
        f'<p class="amount">{escape(display(charge["amount"], currency))}</p>'
        f'<table><tr><th scope="row">Date paid</th><td class="num">'
        f"{escape(_date(charge['created']))}</td></tr>"
        f'<tr><th scope="row">Payment method</th><td class="num">{escape(paid_with)}</td></tr>'
        f"{refunded}</table></section>"
    )
    return _layout(f"Receipt from {merchant}", body + _footer())


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y")


def _tone(charge: Mapping[str, Any]) -> str:
    if charge["disputed"] or charge["status"] == "failed":
        return "bad"
    return "ok" if charge["status"] == "succeeded" and not charge["refunded"] else ""


def _charge_status(charge: Mapping[str, Any]) -> str:
    if charge["disputed"]:
        return "Disputed"
    if charge["refunded"]:
        return "Refunded"
    if charge["amount_refunded"]:
        return "Partially refunded"
    return str(charge["status"]).title()

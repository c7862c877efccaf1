"""The payment ledger of an invoice: payments received and refunds given back."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from domain.ids import PaymentId
from domain.money import Money


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"card": "Card", "cash": "Cash", "bank_transfer": "Bank transfer"}.get(
            self.value, "Other"
        )


class EntryKind(enum.StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """Money that moved for an invoice; `amount` is always positive, `kind` gives the sign."""

    id: PaymentId
    kind: EntryKind
    method: PaymentMethod
    amount: Money
    received_at: datetime
    recorded_by: str
    reference: str = ""
    stripe_payment_intent_id: str | None = None
    stripe_charge_id: str | None = None
    stripe_refund_id: str | None = None
    refund_of: PaymentId | None = None

    def __post_init__(self) -> None:
        if self.amount.is_negative or self.amount.is_zero:
            raise ValueError("a ledger entry moves a positive amount")
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")

    @property
    def signed_amount(self) -> Money:
        """What this entry adds to the amount paid."""
        return self.amount if self.kind is EntryKind.PAYMENT else -self.amount

"""Who in a practice's workspace may do what: billing admins and billing staff."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from domain.errors import DomainError
from domain.ids import PracticeId


class Role(enum.StrEnum):
    ADMIN = "admin"
    """Settings, Stripe and roles, plus everything staff do."""
    STAFF = "staff"
    """Clients, appointments, invoices and payments."""

    @property
    def label(self) -> str:
        return "Billing admin" if self is Role.ADMIN else "Billing staff"

    def allows(self, needed: Role) -> bool:
        return self is Role.ADMIN or needed is Role.STAFF


@dataclass(frozen=True, slots=True)
class Member:
    """A Slack user of the practice's workspace who holds a billing role."""

    practice_id: PracticeId
    user_id: str
    role: Role
    granted_by: str
    granted_at: datetime


class NotPermitted(DomainError):
    """The user lacks the billing role the action needs; `admins` says whom to ask."""

    def __init__(self, needed: Role, admins: list[str]) -> None:
        self.needed = needed
        self.admins = admins
        super().__init__(f"This needs the {needed.label.lower()} role.")

"""A practice's Stripe Express account: whether it can take cards, and what Stripe still needs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.ids import PracticeId


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """What Stripe says of a connected account, in the fields the practice needs to act on."""

    details_submitted: bool = False
    charges_enabled: bool = False
    payouts_enabled: bool = False
    currently_due: tuple[str, ...] = ()
    past_due: tuple[str, ...] = ()
    disabled_reason: str | None = None

    @property
    def ready(self) -> bool:
        return self.details_submitted and self.charges_enabled and self.payouts_enabled

    @property
    def needs(self) -> tuple[str, ...]:
        """Stripe's outstanding requirements in plain words, past due first, each once."""
        words: list[str] = []
        for key in (*self.past_due, *self.currently_due):
            word = plain_requirement(key)
            if word not in words:
                words.append(word)
        return tuple(words)


@dataclass(frozen=True, slots=True)
class StripeConnection:
    """The Express account the app created for a practice; never an account linked from
    elsewhere, so the practice's money only ever reaches an account made for it."""

    practice_id: PracticeId
    account_id: str
    created_at: datetime
    status: AccountStatus = AccountStatus()
    # When Stripe's state in `status` was true: an older account.updated that arrives late
    # must not overwrite a newer one.
    status_as_of: datetime | None = None
    disconnected_at: datetime | None = None
    version: int = 1

    @property
    def connected(self) -> bool:
        return self.disconnected_at is None

    @property
    def takes_cards(self) -> bool:
        return self.connected and self.status.charges_enabled

    def with_status(self, status: AccountStatus, as_of: datetime) -> StripeConnection:
        if self.status_as_of is not None and as_of < self.status_as_of:
            return self
        if status == self.status and as_of == self.status_as_of:
            return self
        return replace(self, status=status, status_as_of=as_of, version=self.version + 1)

    def disconnect(self, at: datetime) -> StripeConnection:
        if self.disconnected_at is not None:
            return self
        return replace(self, disconnected_at=at, version=self.version + 1)


# Stripe's requirement keys name fields of its API; a practice admin needs to know what to
# have at hand before opening the onboarding form again.
_REQUIREMENT_WORDS: tuple[tuple[str, str], ...] = (
    ("external_account", "a bank account for payouts"),
    ("tos_acceptance", "acceptance of Stripe's terms of service"),
    ("business_profile.url", "the practice's website"),
    ("business_profile.mcc", "the kind of business"),
    ("business_profile.product_description", "a description of what the practice sells"),
    ("business_profile", "the practice's business profile"),
    ("business_type", "the type of business"),
    ("company.tax_id", "the practice's tax ID"),
    ("company.address", "the practice's address"),
    ("company.phone", "the practice's phone number"),
    ("company.name", "the practice's legal name"),
    ("company", "details of the practice as a company"),
    ("representative", "details of the person representing the practice"),
    ("owners", "details of the practice's owners"),
    ("directors", "details of the practice's directors"),
    ("executives", "details of the practice's executives"),
    ("individual.verification.document", "an identity document"),
    ("individual.verification.additional_document", "a proof of address"),
    ("individual.id_number", "a personal ID number"),
    ("individual.ssn_last_4", "the last 4 digits of a social security number"),
    ("individual.dob", "a date of birth"),
    ("individual.address", "a home address"),
    ("individual.email", "an e-mail address"),
    ("individual.phone", "a phone number"),
    ("individual", "details of the account holder"),
    ("person_", "details of a person on the account"),
    ("settings.payments.statement_descriptor", "the name shown on clients' card statements"),
)


def plain_requirement(key: str) -> str:
    for prefix, words in _REQUIREMENT_WORDS:
        if key == prefix or key.startswith(prefix):
            return words
    return key.replace("_", " ").replace(".", " › ")


_DISABLED_REASONS = {
    "requirements.past_due": "Stripe needs information that is past due",
    "requirements.pending_verification": "Stripe is verifying the information given",
    "listed": "Stripe is reviewing the account",
    "platform_paused": "payments are paused by Billing Bot",
    "rejected.fraud": "Stripe rejected the account",
    "rejected.listed": "Stripe rejected the account",
    "rejected.terms_of_service": "Stripe rejected the account",
    "rejected.other": "Stripe rejected the account",
    "under_review": "Stripe is reviewing the account",
    "other": "Stripe has paused the account",
}


def describe_disabled_reason(reason: str | None) -> str | None:
    if not reason:
        return None
    return _DISABLED_REASONS.get(reason, "Stripe has paused the account")

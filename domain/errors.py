"""The domain's exceptions: one base, named for the rule that was broken."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class InvalidValue(DomainError, ValueError):
    """A single value is malformed; the caller knows which field it came from."""


class ValidationError(DomainError):
    """Input was rejected; `errors` maps each field key to what the user should fix."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        if not errors:
            raise ValueError("a ValidationError needs at least one field error")
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})


class NotFound(DomainError):
    """The record does not exist in this practice (or belongs to another one)."""

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"No {kind} with id {record_id} in this practice.")


class Conflict(DomainError):
    """The request is well formed but the record's current state forbids it."""


class AppointmentAlreadyInvoiced(Conflict):
    """An appointment can be on at most one invoice that is not void."""

    def __init__(self, appointment_id: str, invoice_number: str | None = None) -> None:
        self.appointment_id = appointment_id
        self.invoice_number = invoice_number
        where = f" on invoice {invoice_number}" if invoice_number else ""
        super().__init__(
            f"This appointment is already invoiced{where}. "
            "Void that invoice first to invoice it again."
        )


class AppointmentNotBillable(Conflict):
    """A cancelled appointment is not billed: not put on an invoice, nor cancelled while one
    bills it."""


class InvoiceNotEditable(Conflict):
    """Only draft invoices can be edited; an open one is voided and re-issued."""


class InvoiceIsVoid(Conflict):
    """Nothing can be recorded on a void invoice."""


class InvoiceStateConflict(Conflict):
    """The invoice's status does not allow this transition."""


class StaleEdit(Conflict):
    """Someone else changed the record since it was read; reload and try again."""


class CurrencyLocked(Conflict):
    """The practice's currency cannot change once invoices exist."""


class TaxRateInUse(Conflict):
    """A tax rate that invoices or services use cannot change its percentage or be removed."""


class FieldErrors:
    """Collects field errors so that one ValidationError reports every problem at once."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(self._prefix + field, message)

    def check(self, field: str, build: Callable[[], T]) -> T | None:
        """Run `build`; an InvalidValue or ValidationError becomes an error on `field`."""
        try:
            return build()
        except InvalidValue as problem:
            self.add(field, str(problem))
        except ValidationError as nested:
            for key, message in nested.errors.items():
                self.add(f"{field}.{key}" if key else field, message)
        return None

    def require(self, condition: bool, field: str, message: str) -> None:
        if not condition:
            self.add(field, message)

    @contextmanager
    def nested(self, prefix: str) -> Iterator[FieldErrors]:
        inner = FieldErrors(self._prefix + prefix)
        yield inner
        for key, message in inner.errors.items():
            self.errors.setdefault(key, message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

"""Typed identifiers, so a client id can never be passed where an invoice id is wanted."""

from __future__ import annotations

from typing import NewType

PracticeId = NewType("PracticeId", str)
TaxRateId = NewType("TaxRateId", str)
ClientId = NewType("ClientId", str)
ServiceTypeId = NewType("ServiceTypeId", str)
AppointmentId = NewType("AppointmentId", str)
InvoiceId = NewType("InvoiceId", str)
InvoiceLineId = NewType("InvoiceLineId", str)
PaymentId = NewType("PaymentId", str)
AuditEventId = NewType("AuditEventId", str)
ConversationId = NewType("ConversationId", str)

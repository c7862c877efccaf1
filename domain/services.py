"""Service types a practice bills for, with a default price and tax rate."""

from __future__ import annotations

from dataclasses import dataclass

from domain.ids import PracticeId, ServiceTypeId, TaxRateId
from domain.money import Money


@dataclass(frozen=True, slots=True)
class ServiceType:
    """Something the practice bills for, such as a 50-minute therapy session."""

    id: ServiceTypeId
    practice_id: PracticeId
    name: str
    default_price: Money
    default_tax_rate_id: TaxRateId | None = None
    active: bool = True
    version: int = 1

"""Decimals that storage keeps as integers scaled by a power of ten (quantities, percentages),
so that no database rounds them."""

from __future__ import annotations

from decimal import Decimal


def scaled(value: Decimal, scale: int) -> int:
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimals")
    return int(scaled)


def unscaled(value: int, scale: int) -> Decimal:
    return Decimal(value).scaleb(-scale).quantize(Decimal(1).scaleb(-scale))

"""Configure a practice: billing details, tax rates, invoice settings, reminder policy."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import time
from decimal import Decimal
from functools import partial
from typing import TypeVar

from domain.errors import (
    Conflict,
    FieldErrors,
    InvalidValue,
    NotFound,
    ValidationError,
)
from domain.ids import PracticeId, TaxRateId
from domain.logos import Logo, check_logo
from domain.money import Currency
from domain.ports import Env, UnitOfWork
from domain.practice import (
    Address,
    BillingDetails,
    InvoiceSettings,
    InvoiceTemplate,
    InvoiceTheme,
    Practice,
    ReminderPolicy,
    TaxRate,
    check_address,
    default_locale,
    format_percent,
    parse_number_prefix,
    parse_payment_terms,
    parse_practice_locale,
    parse_practice_name,
    parse_registration_number,
    parse_repeat_days,
    parse_tax_percent,
    parse_tax_rate_name,
    parse_time_zone,
    validate_quiet_days,
)
from domain.reminder_wording import DEFAULT_WORDING, parse_wording
from domain.reminders import tone_of
from domain.text import optional_text
from domain.usecases._common import audit, load_practice

Choice = TypeVar("Choice", InvoiceTemplate, InvoiceTheme)


@dataclass(frozen=True, slots=True)
class CreatePractice:
    workspace_id: str
    name: str
    actor: str
    currency: str = "USD"
    time_zone: str = "UTC"


def create_practice(cmd: CreatePractice, uow: UnitOfWork, env: Env) -> Practice:
    """The practice of a workspace; installing again returns the existing one untouched."""
    with uow:
        existing = uow.practices.for_workspace(cmd.workspace_id)
        if existing is not None:
            return existing
        errors = FieldErrors()
        name = errors.check("name", lambda: parse_practice_name(cmd.name))
        currency = errors.check("currency", lambda: Currency.parse(cmd.currency))
        zone = errors.check("time_zone", lambda: parse_time_zone(cmd.time_zone))
        errors.raise_if_any()
        assert name is not None and currency is not None and zone is not None
        practice = Practice(
            id=PracticeId(env.ids.new_id()),
            workspace_id=cmd.workspace_id,
            billing=BillingDetails(name=name, currency=currency, address=Address(), time_zone=zone),
        )
        uow.practices.add(practice)
        audit(uow, env, practice.id, cmd.actor, "practice.created", "practice", practice.id)
        uow.commit()
        return practice


@dataclass(frozen=True, slots=True)
class ConfigureBillingDetails:
    practice_id: PracticeId
    actor: str
    name: str
    currency: str
    time_zone: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    tax_number: str = ""
    licence_number: str = ""
    privacy_mode: bool = True
    billing_channel_id: str | None = None
    locale: str = ""
    """How the practice writes numbers (de_DE); empty, or the current locale while it still
    follows the currency and country: derived from the new currency and country."""


def configure_billing_details(cmd: ConfigureBillingDetails, uow: UnitOfWork, env: Env) -> Practice:
    """Save the practice's billing details; the currency is fixed once invoices exist."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        errors = FieldErrors()
        name = errors.check("name", lambda: parse_practice_name(cmd.name))
        currency = errors.check("currency", lambda: Currency.parse(cmd.currency))
        zone = errors.check("time_zone", lambda: parse_time_zone(cmd.time_zone))
        address = check_address(
            errors,
            line1=cmd.address_line1,
            line2=cmd.address_line2,
            city=cmd.city,
            region=cmd.region,
            postal_code=cmd.postal_code,
            country=cmd.country,
        )
        tax_number = errors.check(
            "tax_number", lambda: parse_registration_number(cmd.tax_number, "tax number")
        )
        licence = errors.check(
            "licence_number",
            lambda: parse_registration_number(cmd.licence_number, "licence number"),
        )
        chosen = (
            errors.check("locale", lambda: parse_practice_locale(cmd.locale))
            if cmd.locale.strip()
            else ""
        )
        if (
            currency is not None
            and currency != practice.currency
            and uow.invoices.count(practice.id)
        ):
            errors.add(
                "currency",
                f"The currency stays {practice.currency.code}: this practice already has invoices "
                f"in it, and an invoice's currency never changes.",
            )
        errors.raise_if_any()
        assert name is not None and currency is not None and zone is not None
        assert tax_number is not None and licence is not None and chosen is not None
        locale = _locale_after(practice, chosen)
        updated = practice.with_changes(
            billing=BillingDetails(name, currency, address, zone, tax_number, licence, locale),
            privacy_mode=cmd.privacy_mode,
            billing_channel_id=cmd.billing_channel_id or None,
        )
        uow.practices.update(updated)
        audit(uow, env, practice.id, cmd.actor, "billing_details.updated", "practice", practice.id)
        uow.commit()
        return updated


def _locale_after(practice: Practice, chosen: str) -> str:
    """The locale to keep: the one chosen, unless it is the practice's current one and that
    still follows its currency and country, in which case it follows the new ones too
    (empty: derived by BillingDetails)."""
    billing = practice.billing
    follows = billing.locale == default_locale(billing.currency.code, billing.address.country)
    return "" if not chosen or (chosen == billing.locale and follows) else chosen


@dataclass(frozen=True, slots=True)
class AddTaxRate:
    practice_id: PracticeId
    actor: str
    name: str
    percent: str | Decimal
    make_default: bool = False


def _check_rate_name(
    uow: UnitOfWork, practice_id: PracticeId, name: str, errors: FieldErrors, own: TaxRateId | None
) -> str | None:
    checked = errors.check("name", lambda: parse_tax_rate_name(name))
    if checked is None:
        return None
    for rate in uow.tax_rates.list(practice_id):
        if rate.id != own and rate.name.casefold() == checked.casefold():
            errors.add(
                "name", f"There is already a tax rate called '{rate.name}'. Pick another name."
            )
    return checked


def add_tax_rate(cmd: AddTaxRate, uow: UnitOfWork, env: Env) -> TaxRate:
    """Add a named rate; the practice's first rate becomes its default."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        errors = FieldErrors()
        name = _check_rate_name(uow, practice.id, cmd.name, errors, None)
        percent = errors.check("percent", lambda: parse_tax_percent(cmd.percent, practice.locale))
        errors.raise_if_any()
        assert name is not None and percent is not None
        rate = TaxRate(TaxRateId(env.ids.new_id()), practice.id, name, percent)
        uow.tax_rates.add(rate)
        if cmd.make_default or practice.default_tax_rate_id is None:
            uow.practices.update(practice.with_changes(default_tax_rate_id=rate.id))
        audit(
            uow,
            env,
            practice.id,
            cmd.actor,
            "tax_rate.added",
            "tax_rate",
            rate.id,
            percent=str(percent),
        )
        uow.commit()
        return rate


@dataclass(frozen=True, slots=True)
class UpdateTaxRate:
    practice_id: PracticeId
    actor: str
    tax_rate_id: TaxRateId
    name: str
    percent: str | Decimal


def update_tax_rate(cmd: UpdateTaxRate, uow: UnitOfWork, env: Env) -> TaxRate:
    """Rename a rate, or change its percentage while nothing uses it yet."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        rate = _load_rate(uow, practice.id, cmd.tax_rate_id)
        errors = FieldErrors()
        name = _check_rate_name(uow, practice.id, cmd.name, errors, rate.id)
        percent = errors.check("percent", lambda: parse_tax_percent(cmd.percent, practice.locale))
        if (
            percent is not None
            and percent != rate.percent
            and uow.tax_rates.is_used(cmd.practice_id, rate.id)
        ):
            errors.add(
                "percent",
                f"'{rate.name}' is already used, so its percentage stays "
                f"{format_percent(rate.percent)}. "
                "Add a new rate and archive this one.",
            )
        errors.raise_if_any()
        assert name is not None and percent is not None
        updated = replace(rate, name=name, percent=percent)
        uow.tax_rates.update(updated)
        audit(uow, env, cmd.practice_id, cmd.actor, "tax_rate.updated", "tax_rate", rate.id)
        uow.commit()
        return updated


def _load_rate(uow: UnitOfWork, practice_id: PracticeId, tax_rate_id: TaxRateId) -> TaxRate:
    rate = uow.tax_rates.get(practice_id, tax_rate_id)
    if rate is None:
        raise NotFound("tax rate", tax_rate_id)
    return rate


def archive_tax_rate(
    practice_id: PracticeId, tax_rate_id: TaxRateId, actor: str, uow: UnitOfWork, env: Env
) -> TaxRate:
    """Hide a rate from new lines; invoices that used it keep it. The default stays."""
    with uow:
        practice = load_practice(uow, practice_id)
        rate = _load_rate(uow, practice_id, tax_rate_id)
        if practice.default_tax_rate_id == rate.id:
            raise Conflict(
                f"'{rate.name}' is the default tax rate. Make another rate the default first."
            )
        if rate.is_archived:
            return rate
        archived = replace(rate, archived_at=env.clock.now())
        uow.tax_rates.update(archived)
        audit(uow, env, practice_id, actor, "tax_rate.archived", "tax_rate", rate.id)
        uow.commit()
        return archived


def set_default_tax_rate(
    practice_id: PracticeId, tax_rate_id: TaxRateId | None, actor: str, uow: UnitOfWork, env: Env
) -> Practice:
    """Choose the rate new lines start with (None: new lines start untaxed)."""
    with uow:
        practice = load_practice(uow, practice_id)
        if tax_rate_id is not None:
            rate = _load_rate(uow, practice_id, tax_rate_id)
            if rate.is_archived:
                raise ValidationError.single(
                    "default_tax_rate", f"'{rate.name}' is archived; pick an active rate."
                )
        updated = practice.with_changes(default_tax_rate_id=tax_rate_id)
        uow.practices.update(updated)
        audit(
            uow,
            env,
            practice_id,
            actor,
            "tax_rate.default_set",
            "practice",
            practice_id,
            tax_rate_id=tax_rate_id or "",
        )
        uow.commit()
        return updated


@dataclass(frozen=True, slots=True)
class ConfigureInvoiceSettings:
    practice_id: PracticeId
    actor: str
    template: str
    theme: str
    payment_terms_days: int | str
    number_prefix: str
    details: str = ""
    footer: str = ""
    new_logo: LogoUpload | None = None
    """An image to store and use from now on; None keeps the current logo."""
    remove_logo: bool = False


@dataclass(frozen=True, slots=True)
class LogoUpload:
    filename: str
    content: bytes


def _choice(kind: type[Choice], value: str, label: str) -> Choice:
    try:
        return kind(value.strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise _invalid(f"'{value}' is not a {label}. Choose one of: {choices}.") from None


def _invalid(message: str) -> InvalidValue:
    return InvalidValue(message)


def _whole_days(value: int | str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError("payment terms are a whole number of days")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            raise _invalid(f"'{text}' is not a whole number of days.")
        value = int(text)
    return parse_payment_terms(value)


def configure_invoice_settings(
    cmd: ConfigureInvoiceSettings, uow: UnitOfWork, env: Env
) -> Practice:
    """Save how invoices look: template, theme, logo, details, terms, footer, numbering."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        errors = FieldErrors()
        template = errors.check(
            "template", lambda: _choice(InvoiceTemplate, cmd.template, "template")
        )
        theme = errors.check("theme", lambda: _choice(InvoiceTheme, cmd.theme, "theme"))
        terms = errors.check("payment_terms_days", lambda: _whole_days(cmd.payment_terms_days))
        prefix = errors.check("number_prefix", lambda: parse_number_prefix(cmd.number_prefix))
        details = errors.check(
            "details", lambda: optional_text(cmd.details, label="details", max_length=500)
        )
        footer = errors.check(
            "footer", lambda: optional_text(cmd.footer, label="footer", max_length=500)
        )
        upload = cmd.new_logo
        logo = (
            errors.check("logo", lambda: check_logo(upload.filename, upload.content))
            if upload
            else None
        )
        errors.raise_if_any()
        assert template is not None and theme is not None and terms is not None
        assert prefix is not None and details is not None and footer is not None
        logo_ref = None if cmd.remove_logo else practice.invoice_settings.logo_ref
        if logo is not None:
            logo_ref = env.ids.new_id()
            uow.logos.add(practice.id, logo_ref, logo)
        settings = InvoiceSettings(template, theme, logo_ref, details, terms, footer, prefix)
        updated = practice.with_changes(invoice_settings=settings)
        uow.practices.update(updated)
        audit(uow, env, practice.id, cmd.actor, "invoice_settings.updated", "practice", practice.id)
        uow.commit()
        return updated


@dataclass(frozen=True, slots=True)
class ConfigureReminders:
    """The reminder settings as typed. The options after `send_time` keep their saved value
    when None."""

    practice_id: PracticeId
    actor: str
    enabled: bool
    offsets: str | tuple[int, ...]
    send_time: str | time
    repeat_every_days: str | int | None = None
    """"" (or 0) for no repeat."""
    quiet_days: Collection[int] | None = None
    wordings: Mapping[int, str] | None = None
    """The wording of each step by its offset; an empty one reads as its tone's default."""
    digest_enabled: bool | None = None
    digest_time: str | time | None = None


def _repeat(value: str | int | None, saved: int | None) -> int | None:
    if value is None:
        return saved
    if value in ("", 0) or (isinstance(value, str) and not value.strip()):
        return None
    return parse_repeat_days(value)


def configure_reminders(cmd: ConfigureReminders, uow: UnitOfWork, env: Env) -> Practice:
    """Turn payment reminders on or off and set their schedule, local send time, repeat,
    non-sending days, wording per step and the overdue digest. The next sweep plans every
    open invoice's next reminder by the new settings."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        saved = practice.reminder_policy
        errors = FieldErrors()
        offsets = errors.check(
            "offsets",
            lambda: (
                ReminderPolicy.parse_offsets(cmd.offsets)
                if isinstance(cmd.offsets, str)
                else ReminderPolicy(offsets=cmd.offsets).offsets
            ),
        )
        send_time = errors.check(
            "send_time",
            lambda: (
                ReminderPolicy.parse_send_time(cmd.send_time)
                if isinstance(cmd.send_time, str)
                else cmd.send_time
            ),
        )
        if offsets is not None and cmd.enabled and not offsets:
            errors.add("offsets", "Add at least one day to send reminders on, e.g. -3, 0, 7.")
        repeat = errors.check(
            "repeat_every_days", lambda: _repeat(cmd.repeat_every_days, saved.repeat_every_days)
        )
        quiet = errors.check(
            "quiet_days",
            lambda: (
                validate_quiet_days(frozenset(cmd.quiet_days))
                if cmd.quiet_days is not None
                else saved.quiet_days
            ),
        )
        wordings: dict[int, str] = dict(saved.wordings)
        for offset, text in (cmd.wordings or {}).items():
            checked = errors.check(f"wording.{offset}", partial(parse_wording, text))
            if checked is not None:
                wordings[offset] = checked
        digest_time = errors.check(
            "digest_time",
            lambda: (
                ReminderPolicy.parse_send_time(cmd.digest_time)
                if isinstance(cmd.digest_time, str)
                else cmd.digest_time or saved.digest_time
            ),
        )
        errors.raise_if_any()
        assert offsets is not None and send_time is not None and digest_time is not None
        policy = ReminderPolicy(
            cmd.enabled,
            offsets,
            send_time,
            repeat_every_days=repeat,
            quiet_days=quiet if quiet is not None else saved.quiet_days,
            wordings=tuple((step, text) for step, text in wordings.items() if step in offsets),
            digest_enabled=(
                saved.digest_enabled if cmd.digest_enabled is None else cmd.digest_enabled
            ),
            digest_time=digest_time,
        )
        # A wording left as its tone's default is not kept: it follows the tone when the
        # schedule changes (a step that becomes the last one reads as a final notice).
        own = tuple(
            (step, text)
            for step, text in policy.wordings
            if text != DEFAULT_WORDING[tone_of(policy, step)]
        )
        updated = practice.with_changes(reminder_policy=replace(policy, wordings=own))
        uow.practices.update(updated)
        audit(
            uow,
            env,
            practice.id,
            cmd.actor,
            "reminders.updated",
            "practice",
            practice.id,
            enabled=str(cmd.enabled).lower(),
        )
        uow.commit()
        return updated


@dataclass(frozen=True, slots=True)
class InvoiceLook:
    """What a preview of the practice's invoices is drawn from."""

    practice: Practice
    logo: Logo | None
    default_tax_rate: TaxRate | None


def invoice_look(practice_id: PracticeId, uow: UnitOfWork) -> InvoiceLook:
    with uow:
        practice = load_practice(uow, practice_id)
        logo_ref = practice.invoice_settings.logo_ref
        rate_id = practice.default_tax_rate_id
        return InvoiceLook(
            practice,
            uow.logos.get(practice_id, logo_ref) if logo_ref else None,
            uow.tax_rates.get(practice_id, rate_id) if rate_id else None,
        )

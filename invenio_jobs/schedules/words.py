# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Words and short forms: a schedule in words, and the notations people type.

:func:`describe` says a schedule in words for lists and the CLI ("every 4
hours", "at 02:00 Europe/Zurich on Monday to Friday");
:func:`parse_cron_expression` and :func:`parse_every` turn the usual cron
notation and short intervals ("1h30m") into stored schedules.
"""

import re
from functools import lru_cache
from pathlib import Path

import cron_descriptor
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from cron_descriptor import ExpressionDescriptor, Options

from ..errors import InvalidScheduleError
from .compiled import CompiledSchedule, CronSchedule, IntervalSchedule
from .validation import DAY_NAMES, INTERVAL_UNITS, MONTH_NAMES, validate_schedule

CRON_ORDER = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
"""The usual order of the five fields of a cron expression."""

_CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_EVERY_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([wdhms])\s*")
_EVERY_UNITS = {
    "w": "weeks",
    "d": "days",
    "h": "hours",
    "m": "minutes",
    "s": "seconds",
}


def _number(value) -> str:
    """A number without a useless '.0'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _join(words: list[str]) -> str:
    """Join words as in 'a, b and c'."""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _describe_interval(schedule: IntervalSchedule) -> str:
    """An interval in words: 'every 4 hours', 'every day and 6 hours'."""
    units = [unit for unit in INTERVAL_UNITS if unit in schedule]
    if len(units) == 1 and schedule[units[0]] == 1:
        return f"every {units[0][:-1]}"
    words = []
    for unit in units:
        value = schedule[unit]
        words.append(f"{_number(value)} {unit[:-1] if value == 1 else unit}")
    return "every " + _join(words)


def _every_step(text: str, size: int) -> int | None:
    """The step of a field like '*/15' when it divides the cycle evenly."""
    match = re.fullmatch(r"\*/([0-9]+)", text)
    if match and size % int(match[1]) == 0:
        return int(match[1])
    return None


def _describe_days(days: set[int]) -> str:
    """Weekdays in words, Monday first: 'Monday to Friday', 'Saturday and Sunday'."""
    ordered = sorted(days, key=lambda day: (day - 1) % 7)
    names = [DAY_NAMES[day].capitalize() for day in ordered]
    positions = [(day - 1) % 7 for day in ordered]
    if len(names) >= 3 and positions[-1] - positions[0] == len(positions) - 1:
        return f"{names[0]} to {names[-1]}"
    return _join(names)


def _describe_crontab(schedule: CronSchedule) -> str:
    """A crontab in words, or in cron notation when words would be unclear."""
    parsed = schedule.parsed
    zone = schedule["timezone"]
    minute, hour = schedule["minute"], schedule["hour"]
    any_date = all(
        schedule[field] == "*"
        for field in ("day_of_week", "day_of_month", "month_of_year")
    )
    single_minute = len(parsed.minute) == 1
    times = [
        f"{h:02d}:{m:02d}" for h in sorted(parsed.hour) for m in sorted(parsed.minute)
    ]
    if any_date and hour == "*":
        if minute == "*":
            return f"every minute ({zone})"
        step = _every_step(minute, 60)
        if step:
            return f"every {step} minutes ({zone})"
        if single_minute:
            return f"every hour at minute {min(parsed.minute)} ({zone})"
    if any_date and single_minute and _every_step(hour, 24):
        every = _every_step(hour, 24)
        return f"every {every} hours at minute {min(parsed.minute)} ({zone})"
    if len(times) > 4 or not single_minute:
        return _cron_notation(schedule)
    at = f"at {_join(times)} {zone}"
    if any_date:
        return f"every day {at}"
    if schedule["day_of_month"] == "*" and schedule["month_of_year"] == "*":
        return f"{at} on {_describe_days(parsed.day_of_week)}"
    if schedule["day_of_week"] == "*" and len(parsed.day_of_month) == 1:
        day = min(parsed.day_of_month)
        if schedule["month_of_year"] == "*":
            return f"on day {day} of every month {at}"
        if len(parsed.month_of_year) == 1:
            month = MONTH_NAMES[min(parsed.month_of_year) - 1].capitalize()
            return f"every year on {day} {month} {at}"
    return _cron_notation(schedule)


def _cron_notation(schedule: CronSchedule) -> str:
    """A crontab in the usual cron order, with its time zone."""
    fields = " ".join(schedule[field] for field in CRON_ORDER)
    return f"cron {fields} {schedule['timezone']}"


def describe(
    schedule: dict | CompiledSchedule | None,
    default_timezone: str = "UTC",
    language: str | None = None,
) -> str:
    """The schedule in words, for lists and the CLI, in ``language`` (``"de"``).

    English (the default) keeps the sentences built here, which clients and
    scripts already read. Other languages take the cron part from
    cron-descriptor and our own words (intervals, time zone, day and month
    names) from the package's catalog. A stored schedule that no longer
    validates is described as invalid rather than raising, so that one bad
    job cannot break a whole list.
    """
    if language and _language_of(language) != "en":
        return _describe_in(schedule, default_timezone, _language_of(language))
    if schedule is None:
        return "not scheduled"
    try:
        compiled = validate_schedule(schedule, default_timezone)
    except InvalidScheduleError as error:
        return f"invalid schedule ({error})"
    if isinstance(compiled, IntervalSchedule):
        return _describe_interval(compiled)
    return _describe_crontab(compiled)


# -- other languages ---------------------------------------------------------------
CATALOG = Path(__file__).resolve().parent.parent / "translations"
"""Where the package's compiled catalogs are (``<language>/LC_MESSAGES``)."""

_CRON_LOCALES = Path(cron_descriptor.__file__).resolve().parent / "locale"
"""cron-descriptor's compiled catalogs, one ``<locale>.mo`` per language."""

_NAMES = re.compile(
    r"\b(" + "|".join(name.capitalize() for name in DAY_NAMES + MONTH_NAMES) + r")\b"
)
"""Day and month names as cron-descriptor writes them: in English, whatever
the language of its sentence (it reads them from the process' C locale)."""

_EVERY_ONE = {
    "weeks": "every week",
    "days": "every day",
    "hours": "every hour",
    "minutes": "every minute",
    "seconds": "every second",
}
"""An interval of one unit, in words (msgids of the catalog)."""

_AMOUNTS = {
    "weeks": ("%(num)s week", "%(num)s weeks"),
    "days": ("%(num)s day", "%(num)s days"),
    "hours": ("%(num)s hour", "%(num)s hours"),
    "minutes": ("%(num)s minute", "%(num)s minutes"),
    "seconds": ("%(num)s second", "%(num)s seconds"),
}
"""An amount of each unit, singular and plural (msgids of the catalog)."""


def _language_of(language: str) -> str:
    """The bare language code of a locale ("de" for "de_CH" or "de-CH")."""
    return str(language).replace("-", "_").split("_")[0].lower()


@lru_cache(maxsize=None)
def _catalog(language: str) -> NullTranslations:
    """The package's translations into ``language`` (English when there are none)."""
    return Translations.load(str(CATALOG), [language], domain="messages")


@lru_cache(maxsize=None)
def _cron_locale(language: str) -> str:
    """cron-descriptor's locale for ``language``: ``de`` -> ``de_DE``."""
    known = sorted(path.stem for path in _CRON_LOCALES.glob("*.mo"))
    for code in known:
        if code.split("_")[0].lower() == language:
            return code
    return "en_US"


@lru_cache(maxsize=1024)
def _cron_words(expression: str, language: str) -> str:
    """The cron expression in words by cron-descriptor, names in ``language``.

    cron-descriptor writes day and month names from the process' C locale,
    in English; they are replaced by the catalog's. Cached: the sentence of
    an expression never changes.
    """
    options = Options()
    options.locale_code = _cron_locale(language)
    options.use_24hour_time_format = True
    options.day_of_week_start_index_zero = True
    try:
        text = ExpressionDescriptor(expression, options).get_description()
    except Exception:  # noqa: BLE001 -- what it cannot say, the notation says
        return f"cron {expression}"
    gettext = _catalog(language).gettext
    return _NAMES.sub(lambda match: gettext(match[1]), text)


def _crontab_words(schedule: CronSchedule, language: str) -> str:
    """A crontab's fields in words, with Celery's meaning of both day fields.

    cron-descriptor reads a day of month and a day of week as either one
    (Vixie cron); here both must match ("the first Monday": days 1-7, only
    if that day is a Monday), so the weekdays are said as a condition.
    """
    fields = {field: str(schedule[field]) for field in CRON_ORDER}
    both = fields["day_of_month"] != "*" and fields["day_of_week"] != "*"
    if both:
        fields["day_of_week"] = "*"
    words = _cron_words(" ".join(fields[field] for field in CRON_ORDER), language)
    if not both:
        return words
    gettext = _catalog(language).gettext
    ordered = sorted(schedule.parsed.day_of_week, key=lambda day: (day - 1) % 7)
    names = [gettext(DAY_NAMES[day].capitalize()) for day in ordered]
    days = names[0]
    if len(names) > 1:
        days = gettext("%(first)s or %(last)s") % {
            "first": ", ".join(names[:-1]),
            "last": names[-1],
        }
    return gettext("%(words)s, only if that day is a %(days)s") % {
        "words": words,
        "days": days,
    }


def _describe_in(schedule, default_timezone: str, language: str) -> str:
    """The schedule in words in a language other than English."""
    catalog = _catalog(language)
    gettext, ngettext = catalog.gettext, catalog.ngettext
    if schedule is None:
        return gettext("not scheduled")
    try:
        compiled = validate_schedule(schedule, default_timezone)
    except InvalidScheduleError as error:
        return gettext("invalid schedule (%(error)s)") % {"error": error}
    if isinstance(compiled, CronSchedule):
        return gettext("%(words)s (%(zone)s)") % {
            "words": _crontab_words(compiled, language),
            "zone": compiled["timezone"],
        }
    units = [unit for unit in INTERVAL_UNITS if unit in compiled]
    if len(units) == 1 and compiled[units[0]] == 1:
        return gettext(_EVERY_ONE[units[0]])
    parts = [
        ngettext(*_AMOUNTS[unit], compiled[unit])
        % {"num": format_decimal(compiled[unit], locale=language)}
        for unit in units
    ]
    if len(parts) > 1:
        parts = [", ".join(parts[:-1]), parts[-1]]
        joined = gettext("%(first)s and %(last)s") % {
            "first": parts[0],
            "last": parts[1],
        }
    else:
        joined = parts[0]
    return gettext("every %(amounts)s") % {"amounts": joined}


def parse_cron_expression(
    expr: str, timezone: str | None = None, default_timezone: str = "UTC"
) -> dict:
    """Turn "m h dom mon dow" (usual cron order) into a stored crontab schedule.

    Lets the CLI and forms take the cron notation people know. Day of month
    and day of week must both match (Celery's rule), and the macros
    ``@hourly``, ``@daily``, ``@weekly``, ``@monthly`` and ``@yearly`` work.
    """
    if not isinstance(expr, str):
        raise InvalidScheduleError("cron", "The cron expression must be text.")
    text = expr.strip().lower()
    text = _CRON_MACROS.get(text, text)
    parts = text.split()
    if len(parts) != 5:
        raise InvalidScheduleError(
            "cron",
            f"Invalid cron expression '{expr}': give 5 fields (minute hour "
            f"day-of-month month day-of-week), not {len(parts)}.",
        )
    data = {"type": "crontab", **dict(zip(CRON_ORDER, parts))}
    if timezone is not None:
        data["timezone"] = timezone
    return validate_schedule(data, default_timezone).data


def parse_every(expr: str) -> dict:
    """Turn "4h", "30m", "90s", "1d", "2w", "1h30m" into a stored interval.

    Lets the CLI take intervals the way people write them; any problem is
    reported on the field "every".
    """
    if not isinstance(expr, str) or not expr.strip():
        raise InvalidScheduleError(
            "every", "Give an interval like 4h, 30m, 90s, 1d, 2w or 1h30m."
        )
    text = expr.strip().lower()
    data = {"type": "interval"}
    position = 0
    while position < len(text):
        match = _EVERY_PART.match(text, position)
        if not match:
            raise InvalidScheduleError(
                "every",
                f"Invalid interval '{expr}': use numbers with w, d, h, m or s, "
                "like 4h, 30m or 1h30m.",
            )
        amount, unit = match.groups()
        unit = _EVERY_UNITS[unit]
        if unit in data:
            raise InvalidScheduleError(
                "every", f"Invalid interval '{expr}': {unit} are given twice."
            )
        data[unit] = float(amount) if "." in amount else int(amount)
        position = match.end()
    try:
        return validate_schedule(data).data
    except InvalidScheduleError as error:
        raise InvalidScheduleError(
            "every", f"Invalid interval '{expr}': {error.message}"
        ) from None

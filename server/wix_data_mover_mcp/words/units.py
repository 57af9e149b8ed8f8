"""Numbers and times in words: durations, times ago, sizes, counts and plurals."""

from __future__ import annotations

from datetime import datetime


def ago(when: datetime, now: datetime) -> str:
    seconds = (now - when).total_seconds()
    if 0 <= seconds < 1:
        return "just now"
    if 0 <= seconds < 86_400:
        return f"{duration(seconds)} ago"
    return "on " + when.strftime("%Y-%m-%d at %H:%M UTC")


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def size(count: int) -> str:
    if count < 1000:
        return plural(count, "byte")
    value, units = count / 1000, ["KB", "MB", "GB", "TB"]
    while value >= 1000 and len(units) > 1:
        value, units = value / 1000, units[1:]
    return f"{value:.1f} {units[0]}"


def count(number: int) -> str:
    return f"{number:,}"


def plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")

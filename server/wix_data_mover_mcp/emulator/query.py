"""Wix's query language for jobs, as the emulator evaluates it: a filter's operators on a
job's fields, and sorting by fields with the jobs that lack one last."""

from __future__ import annotations

from typing import Any, cast


def matches(job: dict[str, Any], filter_: dict[str, Any]) -> bool:
    for field, condition in filter_.items():
        value = job.get(field)
        rules = _object(condition) if isinstance(condition, dict) else {"$eq": condition}
        for operator, operand in rules.items():
            if not _holds(operator, value, operand):
                return False
    return True


def _holds(operator: str, value: Any, operand: Any) -> bool:
    match operator:
        case "$eq":
            return value == operand
        case "$ne":
            return value != operand
        case "$in":
            return value in (operand or [])
        case "$exists":
            return (value is not None) == bool(operand)
        case "$startsWith":
            return isinstance(value, str) and value.casefold().startswith(str(operand).casefold())
        case _ if value is None:
            return False
        case "$gt":
            return value > operand
        case "$gte":
            return value >= operand
        case "$lt":
            return value < operand
        case _:
            return value <= operand


def sorted_jobs(jobs: list[dict[str, Any]], sort: list[dict[str, str]]) -> list[dict[str, Any]]:
    for rule in reversed(sort):
        field, descending = rule.get("fieldName", "startedAt"), rule.get("order") == "DESC"
        present = [job for job in jobs if job.get(field) is not None]
        missing = [job for job in jobs if job.get(field) is None]
        jobs = sorted(present, key=lambda job: job[field], reverse=descending) + missing
    return jobs


def _object(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}

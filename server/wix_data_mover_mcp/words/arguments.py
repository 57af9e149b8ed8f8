"""Bad input, said in one sentence: what is wrong and what to do. Never a validation dump."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..config import GUID_EXAMPLE, is_guid
from ..text import quote
from ..wix.models import KNOWN_STATUSES

STATUS_LIST = "UNINITIALIZED, INITIALIZING, IN_PROGRESS, COMPLETED, FAILED or PARTIALLY_SUCCESSFUL"


def describe_arguments(tool: str, exc: ValidationError) -> str:
    """'list_data_movement_jobs: limit must be at most 50; job_id is required.'"""
    problems = [_problem(error) for error in exc.errors(include_url=False)]
    unique = list(dict.fromkeys(problems))
    return f"Bad arguments for {tool}: {'; '.join(unique[:4])}. Fix them and call again."


def _problem(error: ErrorDetails) -> str:
    field = ".".join(str(part) for part in error["loc"] if not isinstance(part, int)) or "input"
    kind = error["type"]
    context: dict[str, Any] = error.get("ctx") or {}
    match kind:
        case "missing" | "missing_argument":
            return f"{field} is required"
        case "string_type":
            return f"{field} must be text"
        case "int_type" | "int_parsing" | "int_from_float":
            return f"{field} must be a whole number"
        case "float_type" | "float_parsing":
            return f"{field} must be a number"
        case "bool_type" | "bool_parsing":
            return f"{field} must be true or false"
        case "list_type":
            return f"{field} must be a list"
        case "greater_than_equal":
            return f"{field} must be at least {context.get('ge')}"
        case "greater_than":
            return f"{field} must be more than {context.get('gt')}"
        case "less_than_equal":
            return f"{field} must be at most {context.get('le')}"
        case "less_than":
            return f"{field} must be less than {context.get('lt')}"
        case "string_too_long":
            return f"{field} must be at most {context.get('max_length')} characters"
        case "string_too_short":
            return f"{field} must not be empty"
        case "extra_forbidden" | "unexpected_keyword_argument":
            return f"{field} is not an argument of this tool"
        case _:
            return f"{field} is not valid"


def job_id_problem(value: str) -> str | None:
    """Why this is not a job id, or None when it is one."""
    if is_guid(value.strip()):
        return None
    shown = quote(value, 60) if value.strip() else "An empty string"
    return f"{shown} is not a job id. A job id is a GUID like {GUID_EXAMPLE}."


def status_problem(word: str) -> str | None:
    if word in KNOWN_STATUSES:
        return None
    return f"{quote(word, 40)} is not a job status; use one or more of {STATUS_LIST}."

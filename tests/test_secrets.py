"""The API key must never leave the server: not in results, errors, logs or exceptions."""

from __future__ import annotations

import base64
import json
import logging
import sys
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client
from pydantic import SecretStr

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.wix.scrub import RUN, SecretsFilter, scrubber_for, secret_parts

from . import payloads
from .conftest import FAST_RETRY, texts

pytestmark = pytest.mark.anyio

KEY_TAIL = payloads.API_KEY[-8:]
ECHO = {"message": f"bad token {payloads.API_KEY}", "details": {}}

ANSWERS = {
    "ok": httpx.Response(200, json={"job": payloads.partially_successful()}),
    "401 echoing the key": httpx.Response(401, json=ECHO),
    "403": httpx.Response(403),
    "404": httpx.Response(404, json=ECHO),
    "428": httpx.Response(428, json=ECHO),
    "429": httpx.Response(429, json=ECHO, headers={"retry-after": "0"}),
    "500 html": httpx.Response(500, html=f"<p>{payloads.API_KEY}</p>"),
    "200 not json": httpx.Response(200, content=payloads.API_KEY.encode()),
    "200 without job": httpx.Response(200, json={"token": payloads.API_KEY}),
    "connect error": httpx.ConnectError(f"cannot connect with {payloads.API_KEY}"),
    "read timeout": httpx.ReadTimeout("timed out"),
}


TOOLS = {
    "get_data_movement_job": {"job_id": payloads.PARTIAL_ID},
    "list_data_movement_jobs": {"name_contains": "members"},
    "list_data_movement_job_logs": {"job_id": payloads.PARTIAL_ID},
    "wait_for_data_movement_job": {"job_id": payloads.PARTIAL_ID, "timeout_seconds": 1},
    "terminate_data_movement_job": {"job_id": payloads.PARTIAL_ID},
}


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("name", list(ANSWERS))
async def test_the_key_appears_in_no_result_and_no_log_record(settings, caplog, tool, name):
    answer = ANSWERS[name]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == payloads.API_KEY
        if isinstance(answer, Exception):
            raise answer
        return answer

    caplog.set_level(logging.DEBUG)
    allowed = settings.model_copy(update={"allow_terminate": True})
    server = build_server(allowed, transport=httpx.MockTransport(handler), retry=FAST_RETRY)
    async with Client(server) as client:
        result = await client.call_tool(tool, TOOLS[tool])
        resource = (
            await client.session.read_resource(f"wix-data-mover://jobs/{payloads.PARTIAL_ID}")
            if name == "ok"
            else None
        )
    seen = json.dumps(result.model_dump(mode="json")) + json.dumps(
        resource.model_dump(mode="json") if resource else None
    )
    seen += "\n".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert KEY_TAIL not in seen
    if tool == "get_data_movement_job":
        assert (result.is_error is False) == (name == "ok")


# A key shaped as Wix issues them: IST.<header>.<payload>.<signature>. Its header is alike for
# every key; its payload and signature are the secret.
def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


JWT_KEY = "IST." + ".".join(
    [
        b64(b'{"kid":"PozH_aC2","alg":"RS256"}'),
        b64(
            b'{"data":"{\\"id\\":\\"0f6b3c1e-test\\",\\"identity\\":{\\"type\\":\\"application\\"}}","iat":1767225600}'
        ),
        b64(bytes(range(256))),  # a signature's worth of bytes
    ]
)
KEYS = {"plain key": payloads.API_KEY, "JWT-shaped key": JWT_KEY}


def echoes(key: str) -> dict[str, str]:
    """What an upstream echoed back of the key in the field, not the key as it is."""
    secret = secret_parts(key)[-1]
    echoed = {
        "without its prefix": key.removeprefix("IST."),
        "its secret alone": secret,
        "a 12-character run inside a word": f"col{secret[5:17]}umn",
        "its last 40 characters": key[-40:],
    }
    if secret_parts(key) == [key]:  # a JWT's first 30 characters are its header: not secret
        echoed["its first 30 characters"] = key[:30]
    return echoed


def runs_of(key: str, text: str) -> list[str]:
    """Every 12-character run of the key's secret found in text."""
    return sorted(
        {
            part[i : i + RUN]
            for part in secret_parts(key)
            for i in range(len(part) - RUN + 1)
            if part[i : i + RUN] in text
        }
    )


@pytest.mark.parametrize("key_kind", list(KEYS))
async def test_no_run_of_the_key_echoed_by_wix_reaches_a_result_an_error_or_a_log(
    settings, caplog, key_kind
):
    key = KEYS[key_kind]
    for how, fragment in echoes(key).items():

        def handler(request: httpx.Request, fragment: str = fragment) -> httpx.Response:
            if request.url.path.endswith("/terminate"):
                error = {
                    "message": f"denied for {fragment}",
                    "details": {"applicationError": {"code": fragment}},
                }
                return httpx.Response(400, json=error, headers={"x-wix-request-id": fragment})
            # Running, so that terminate reaches Wix and meets the error above.
            job: dict[str, Any] = payloads.partially_successful() | {"status": "IN_PROGRESS"}
            job["destination"]["wixDataCollection"]["collectionId"] = fragment
            return httpx.Response(200, json={"job": job | {"name": f"import {fragment}"}})

        caplog.clear()
        caplog.set_level(logging.DEBUG)
        keyed = settings.model_copy(update={"api_key": SecretStr(key), "allow_terminate": True})
        server = build_server(keyed, transport=httpx.MockTransport(handler), retry=FAST_RETRY)
        async with Client(server) as client:
            got = await client.call_tool("get_data_movement_job", {"job_id": payloads.PARTIAL_ID})
            refused = await client.call_tool(
                "terminate_data_movement_job", {"job_id": payloads.PARTIAL_ID}
            )
        seen = json.dumps(got.model_dump(mode="json")) + json.dumps(refused.model_dump(mode="json"))
        seen += "\n".join(record.getMessage() for record in caplog.records)
        assert refused.is_error and "Wix rejected the request as invalid (400)" in texts(refused)[0]
        assert runs_of(key, seen) == [], how
        assert "[redacted]" in seen, how
        assert "Wix request id" not in texts(refused)[0], how


def test_the_key_is_scrubbed_from_log_records_whole_or_in_part():
    key = JWT_KEY
    secret = secret_parts(key)[-1]
    SecretsFilter.guard(scrubber_for(key))
    records = [
        logging.LogRecord(
            "wix_data_mover_mcp", logging.WARNING, __file__, 1, "sent %s", (key,), None
        ),
        logging.LogRecord("mcp", logging.INFO, __file__, 1, f"echo {secret[3:40]}", None, None),
    ]
    try:
        raise ValueError(f"bad key {secret[20:60]}")
    except ValueError:
        records.append(
            logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
        )
    formatter = logging.Formatter("%(message)s")
    lines = []
    for record in records:
        assert SecretsFilter().filter(record)
        lines.append(formatter.format(record))
    assert runs_of(key, "\n".join(lines)) == []
    assert lines[0].startswith("sent ") and lines[0].endswith(".[redacted]")
    assert "ValueError: bad key [redacted]" in lines[2]


def test_the_command_line_puts_the_scrubbing_filter_on_its_log_handlers(capsys):
    main(["-v", "jobs"])  # logging is set up first, whatever the command then does
    handlers = logging.getLogger().handlers
    assert handlers and all(
        any(isinstance(f, SecretsFilter) for f in handler.filters) for handler in handlers
    )


@given(
    key=st.sampled_from(list(KEYS.values())),
    before=st.text(max_size=60),
    after=st.text(max_size=60),
    start=st.integers(min_value=0, max_value=400),
    length=st.integers(min_value=RUN, max_value=400),
)
def test_any_run_of_the_secret_anywhere_in_text_is_taken_out(key, before, after, start, length):
    secret = secret_parts(key)[-1]
    run = secret[start : start + length]
    hypothesis.assume(len(run) >= RUN)
    scrubbed = scrubber_for(key).scrub(before + run + after)
    assert runs_of(key, scrubbed) == []
    assert "[redacted]" in scrubbed


@given(key=st.sampled_from(list(KEYS.values())), text=st.text(max_size=300))
def test_text_without_a_run_of_the_secret_is_left_as_it_is(key, text):
    hypothesis.assume(runs_of(key, text) == [])
    assert scrubber_for(key).scrub(text) == text


def test_the_header_of_a_jwt_shaped_key_and_short_runs_are_not_secret():
    scrubber = scrubber_for(JWT_KEY)
    header = JWT_KEY.split(".")[1]
    signature = secret_parts(JWT_KEY)[-1]
    assert scrubber.scrub(f"kid {header}") == f"kid {header}"
    assert scrubber.scrub(f"a {signature[:11]} b") == f"a {signature[:11]} b"
    assert scrubber.scrub(f"a {signature[:12]} b") == "a [redacted] b"
    assert scrubber.scrub(JWT_KEY) == f"IST.{header}.[redacted].[redacted]"

"""Writes submitted once: a claim on each write, and what it submitted, remembered for a few
minutes, in this process or (with WIX_MCP_REDIS_URL) on Redis for every instance at once.

A claim is taken with SET NX PX, so of any number of instances asking at once exactly one
submits; the others wait for its record and return it as a repeat. A claim is given back only
when its write surely changed nothing at Wix (it never left, or Wix refused it), so the write can
be tried again. Once the write has left, a lost answer (a timeout, a 502, a reset, a shutdown)
leaves the outcome unknown: that is remembered in place of a record, and the same write is
refused until the memory expires, since Wix may have made it. A claim whose instance died
expires. With Redis, a write is made only once Redis has granted its claim: while Redis does
not answer, the write is refused (another instance may be making it), never made twice.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import anyio

from ..errors import WixApiError
from .budget import KEY_PREFIX

if TYPE_CHECKING:
    from .budget import SharedRedis

log = logging.getLogger(__name__)

RETRY_MEMORY_SECONDS = 300.0  # a repeated retry call within this returns the first retry
PENDING = "pending:"
PENDING_SECONDS = 90.0  # longer than a submit can take (two requests of at most 30 s each)
POLL_SECONDS = 0.05
CLEANUP_SECONDS = 5.0  # to give a claim back or remember it, even while shutting down
# Kept in place of a record when a write was sent but its answer was lost.
UNKNOWN: dict[str, Any] = {"outcome": "unknown"}
# Deletes the key only while it still holds the value this instance wrote.
_DELETE_IF_SAME = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


@dataclass(frozen=True)
class Written:
    """A write made once: its record (what later repeats get), Wix's answer to the write when
    this call made it, and whether it had already been made."""

    record: dict[str, Any]
    answer: dict[str, Any] | None
    repeated: bool


# Makes the write; returns its record (kept for repeats) and Wix's answer to it.
WriteOnce = Callable[[], Awaitable[tuple[dict[str, Any], dict[str, Any]]]]


class ClaimTimeout(WixApiError):
    """Another instance holds the claim and has not finished within PENDING_SECONDS."""


class OutcomeUnknown(WixApiError):
    """The write was sent but its answer was lost, now or by an earlier call within the
    memory's time: Wix may have made it, so it is not made again meanwhile."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            "This change was sent to Wix but no answer came back, so Wix may have made it: "
            f"check before trying again; for {seconds / 60:g} minutes this same call says so "
            "rather than send it again."
        )


class ClaimUnavailable(WixApiError):
    """Redis could not grant the claim; another instance may be making the write: nothing was
    sent."""

    def __init__(self) -> None:
        super().__init__(
            "Redis (WIX_MCP_REDIS_URL), which keeps this server's instances from submitting the "
            "same retry twice, did not answer, so nothing was submitted: try again shortly."
        )


def is_unknown(record: dict[str, Any]) -> bool:
    """Whether a kept entry says only that the write's outcome is unknown."""
    return record == UNKNOWN


class WriteClaims:
    """Records of writes kept `seconds`, keyed by what makes two calls the same write."""

    def __init__(
        self,
        seconds: float,
        scope: str,
        *,
        redis: SharedRedis | None = None,
        pending_seconds: float = PENDING_SECONDS,
        accepts: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> None:
        self.seconds = seconds
        self._scope = scope
        self._redis = redis
        self._accepts = accepts  # what a record must look like; anything else is dropped
        self._pending_seconds = pending_seconds
        self._local: dict[str, tuple[float, dict[str, Any]]] = {}
        self._held: dict[str, str] = {}  # key -> the pending value this instance wrote

    async def make_once(self, key: str, write: WriteOnce) -> Written:
        """Claim the write, make it (`write` returns its record and Wix's answer) and remember
        it; or, when it was made already, its record as a repeat. A write that surely changed
        nothing gives its claim back; any other failure, a cancel included, leaves the outcome
        unknown (OutcomeUnknown, now and for later calls within `seconds`)."""
        earlier = await self.claim(key)
        if earlier is not None:
            if is_unknown(earlier):
                raise OutcomeUnknown(self.seconds)
            return Written(earlier, None, repeated=True)
        try:
            record, answer = await write()
        except BaseException as exc:
            unsent = isinstance(exc, WixApiError) and exc.unsent
            with anyio.CancelScope(shield=True, deadline=anyio.current_time() + CLEANUP_SECONDS):
                await (self.release(key) if unsent else self.remember(key, UNKNOWN))
            if isinstance(exc, WixApiError) and not unsent:
                raise OutcomeUnknown(self.seconds) from exc
            raise
        with anyio.CancelScope(shield=True, deadline=anyio.current_time() + CLEANUP_SECONDS):
            await self.remember(key, record)
        return Written(record, answer, repeated=False)

    async def recent(self, key: str) -> dict[str, Any] | None:
        """The record of this write if it was made within `seconds`; no claim is taken."""
        if (local := self._local_record(key)) is not None:
            return local
        if not self._shared():
            return None
        try:
            stored = await self._client().get(self._shared_key(key))
        except Exception as exc:  # noqa: BLE001 - a memory that cannot answer is a miss
            self._failed(exc)
            return None
        return self._record(stored)

    async def claim(self, key: str) -> dict[str, Any] | None:
        """None when this caller won the claim and must submit (then `remember` or `release`);
        otherwise the record of the same write made by someone else (or UNKNOWN), waiting for
        it while another instance is still submitting.

        Redis is asked even while it is taken to be down: the claim is what keeps a write
        single, so when Redis cannot answer nothing is made (ClaimUnavailable), even while
        another instance's claim was being waited for."""
        if (local := self._local_record(key)) is not None:
            return local
        if self._redis is None:
            return None
        pending = f"{PENDING}{uuid.uuid4().hex}"
        shared_key = self._shared_key(key)
        give_up = time.monotonic() + self._pending_seconds
        expiry = self._ms(self._pending_seconds)
        try:
            redis = self._client()
            while True:
                if await redis.set(shared_key, pending, nx=True, px=expiry):
                    self._held[key] = pending
                    self._recovered()
                    return None
                stored = await redis.get(shared_key)
                if stored is None:
                    continue  # given back just now: claim it again
                if (record := self._record(stored)) is not None:
                    self._recovered()
                    return record
                text = stored.decode(errors="replace") if isinstance(stored, bytes) else str(stored)
                if not text.startswith(PENDING):
                    log.warning("A remembered write in Redis was unreadable; it is dropped.")
                    await redis.eval(_DELETE_IF_SAME, 1, shared_key, stored)  # pyright: ignore[reportUnknownMemberType]
                    continue
                if time.monotonic() >= give_up:
                    raise ClaimTimeout(
                        "Another instance of this server has been submitting this same retry "
                        f"for over {self._pending_seconds:g} s without finishing. Look for the "
                        "new job with list_data_movement_jobs before trying again."
                    )
                await anyio.sleep(POLL_SECONDS)
        except WixApiError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of Redis: nothing is made
            self._failed(exc)
            raise ClaimUnavailable from None

    async def remember(self, key: str, record: dict[str, Any]) -> None:
        """What the claimed write submitted (or UNKNOWN), kept for `seconds` here and on
        Redis."""
        now = time.monotonic()
        self._local = {k: v for k, v in self._local.items() if now - v[0] < self.seconds}
        self._local[key] = (now, record)
        # Redis granted this write's claim: it is asked even if taken to be down since.
        claimed = self._held.pop(key, None) is not None
        if self._redis is None or not (claimed or self._redis.available):
            return
        try:
            await self._client().set(
                self._shared_key(key), json.dumps(record), px=self._ms(self.seconds)
            )
        except Exception as exc:  # noqa: BLE001 - this instance still remembers it
            self._failed(exc)

    async def release(self, key: str) -> None:
        """Give back a claim whose write failed, so the same call may try again."""
        pending = self._held.pop(key, None)
        if pending is None or self._redis is None:
            return
        try:
            await self._client().eval(_DELETE_IF_SAME, 1, self._shared_key(key), pending)  # pyright: ignore[reportUnknownMemberType]
        except Exception as exc:  # noqa: BLE001 - the claim then expires by itself
            self._failed(exc)

    def _local_record(self, key: str) -> dict[str, Any] | None:
        hit = self._local.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        self._local.pop(key, None)
        return None

    def _shared(self) -> bool:
        return self._redis is not None and self._redis.available

    def _client(self) -> Any:
        assert self._redis is not None
        return self._redis.client()

    def _recovered(self) -> None:
        assert self._redis is not None
        self._redis.recovered()

    def _failed(self, exc: Exception) -> None:
        assert self._redis is not None
        self._redis.failed(exc)

    def _record(self, stored: Any) -> dict[str, Any] | None:
        record = _record(stored)
        if record is None or not (is_unknown(record) or self._accepts(record)):
            return None
        return record

    def _shared_key(self, key: str) -> str:
        return f"{KEY_PREFIX}:job:{self._scope}:{key}"

    @staticmethod
    def _ms(seconds: float) -> int:
        return max(1, int(seconds * 1000))


def _record(stored: Any) -> dict[str, Any] | None:
    """A stored record (or UNKNOWN), or None for a pending claim or anything unreadable."""
    if not isinstance(stored, bytes | str):
        return None
    try:
        value = json.loads(stored)
    except (ValueError, RecursionError):
        return None
    if value == UNKNOWN:
        return dict(UNKNOWN)
    if not isinstance(value, dict) or not isinstance(cast(dict[str, Any], value).get("id"), str):
        return None
    return cast(dict[str, Any], value)

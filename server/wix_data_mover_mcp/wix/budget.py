"""Wix's rate budget for one API key, and job answers shared for a moment, per process or on Redis.

The budget is a moving window from `limits` (a well-kept limiter whose Redis storage swaps in
for its memory one), so instances behind one load balancer count against one budget. When
Redis cannot be reached, each instance falls back to a budget of its own and says so in the
log; it tries Redis again a little later.

An instance's own budget uses limits' synchronous memory storage: it does no I/O, and its
asynchronous twin hands every expiry sweep to a worker thread, which cost each call to Wix
about 0.2 ms on a warm server (benchmarks/run.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any, cast

from limits import RateLimitItemPerMinute, WindowStats
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter as LocalMovingWindowRateLimiter

from ..errors import BudgetExhausted
from .models import MAX_DEPTH, nested_within

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 30.0
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_CONNECTIONS = 50
KEY_PREFIX = "wix-data-mover-mcp"


def key_fingerprint(api_key: str) -> str:
    """Names the key in shared storage without revealing it."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class SharedRedis:
    """One Redis connection pool, and whether it is usable right now.

    The pool holds REDIS_CONNECTIONS; more operations at once (a wait storm's hundreds of
    callers) wait their turn for one, for up to REDIS_TIMEOUT_SECONDS. A pool that refused
    them instead would have Redis taken for gone, and the shared budget left for one of this
    instance's own."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import BlockingConnectionPool

        self.pool: BlockingConnectionPool = BlockingConnectionPool.from_url(  # pyright: ignore[reportUnknownMemberType]
            url,
            max_connections=REDIS_CONNECTIONS,
            timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def failed(self, exc: Exception) -> None:
        if self.available:
            log.warning(
                "Redis (WIX_MCP_REDIS_URL) cannot be reached (%s): this instance keeps its own "
                "rate budget and job answers until it is back; trying again in %g s.",
                type(exc).__name__,
                REDIS_RETRY_SECONDS,
            )
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS

    def recovered(self) -> None:
        if self._down_until:
            log.warning("Redis (WIX_MCP_REDIS_URL) is back: sharing the rate budget again.")
            self._down_until = 0.0

    def client(self) -> Redis:
        from redis.asyncio import Redis

        return Redis(connection_pool=self.pool)

    async def aclose(self) -> None:
        await self.pool.aclose()


class RateBudget:
    """At most `per_minute` requests to Wix in any 60 s, for one API key.

    A request takes its share with `take`; over budget, its sender waits for room (http.py)
    up to `max_wait` seconds, then gets a WixApiError that says when to try again."""

    def __init__(
        self,
        per_minute: int,
        key_id: str,
        *,
        redis: SharedRedis | None = None,
        max_wait: float = 10.0,
    ) -> None:
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(per_minute)
        self._key_id = key_id
        self._max_wait = max_wait
        self._local = LocalMovingWindowRateLimiter(MemoryStorage())
        self._redis = redis
        self._shared = (
            MovingWindowRateLimiter(
                RedisStorage(
                    "async+redis://",
                    implementation="redispy",
                    key_prefix=KEY_PREFIX,
                    connection_pool=redis.pool,  # pyright: ignore[reportArgumentType]
                )
            )
            if redis is not None
            else None
        )

    def give_up_at(self, within: float | None = None) -> float:
        """When a request waiting for room now stops waiting: after at most `max_wait`
        seconds, or `within`."""
        patience = self._max_wait if within is None else min(self._max_wait, within)
        return time.monotonic() + patience

    async def take(self, give_up: float) -> float | None:
        """One request from the budget, now: None when taken; else the seconds until there is
        room, or BudgetExhausted when that is later than `give_up` (time.monotonic)."""
        granted, retry_in = await self._try()
        if granted:
            return None
        if time.monotonic() + retry_in > give_up:
            again = max(1, round(retry_in))
            raise BudgetExhausted(
                f"Wix's rate budget for this key is used up ({self.per_minute} requests a "
                f"minute, WIX_RATE_LIMIT_PER_MINUTE); try again in {again} s.",
                retry_in=retry_in,
            )
        return retry_in

    async def remaining_share(self) -> float:
        """How much of the budget is left, from 0 to 1 (1 when it cannot be told)."""
        try:
            stats = await self._stats()
        except Exception as exc:  # noqa: BLE001 - any storage failure means: fall back
            self._storage_failed(exc)
            return 1.0
        return stats.remaining / self.per_minute

    async def _try(self) -> tuple[bool, float]:
        shared = self._shared_limiter()
        if shared is None:
            if self._local.hit(self._item, self._key_id):
                return True, 0.0
            stats = self._local.get_window_stats(self._item, self._key_id)
        else:
            try:
                if await shared.hit(self._item, self._key_id):
                    if self._redis is not None:  # always, with a shared limiter
                        self._redis.recovered()
                    return True, 0.0
                stats = await shared.get_window_stats(self._item, self._key_id)
            except Exception as exc:  # noqa: BLE001 - any storage failure means: fall back
                self._storage_failed(exc)
                return await self._try()
        return False, max(0.05, stats.reset_time - time.time())

    async def _stats(self) -> WindowStats:
        shared = self._shared_limiter()
        if shared is None:
            return self._local.get_window_stats(self._item, self._key_id)
        return await shared.get_window_stats(self._item, self._key_id)

    def _shared_limiter(self) -> MovingWindowRateLimiter | None:
        """Redis's limiter while Redis is usable; None for this instance's own budget."""
        if self._shared is not None and self._redis is not None and self._redis.available:
            return self._shared
        return None

    def _storage_failed(self, exc: Exception) -> None:
        if self._redis is None:
            raise exc
        self._redis.failed(exc)


class AnswerCache:
    """Job answers kept for `seconds`, in this process and (when configured) on Redis."""

    def __init__(
        self,
        seconds: float,
        scope: str,
        *,
        redis: SharedRedis | None = None,
    ) -> None:
        self.seconds = seconds
        self._scope = scope
        self._redis = redis
        self._local: dict[str, tuple[float, dict[str, Any]]] = {}

    async def get(self, key: str) -> dict[str, Any] | None:
        if self.seconds <= 0:
            return None
        hit = self._local.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        self._local.pop(key, None)
        if self._redis is None or not self._redis.available:
            return None
        try:
            stored = await self._redis.client().get(self._shared_key(key))
        except Exception as exc:  # noqa: BLE001 - a cache that cannot answer is a miss
            self._redis.failed(exc)
            return None
        self._redis.recovered()
        if stored is None:
            return None
        value = _readable(stored)
        if value is None:
            await self._discard(key)
            return None
        return value

    async def put(self, key: str, value: dict[str, Any]) -> None:
        if self.seconds <= 0:
            return
        now = time.monotonic()
        self._local = {k: v for k, v in self._local.items() if now - v[0] < self.seconds}
        self._local[key] = (now, value)
        if self._redis is None or not self._redis.available:
            return
        try:
            await self._redis.client().set(
                self._shared_key(key), json.dumps(value), px=max(1, int(self.seconds * 1000))
            )
        except Exception as exc:  # noqa: BLE001 - a cache that cannot store is only slower
            self._redis.failed(exc)

    async def _discard(self, key: str) -> None:
        """An entry in Redis that no instance could have written (damaged, or written by
        something else) is a miss: say so once, and remove it so it is not read again."""
        shared = self._shared_key(key)
        log.warning(
            "Ignored an entry in Redis (WIX_MCP_REDIS_URL) that is not an answer this server "
            "keeps (%s); it was removed and the answer is fetched from Wix again.",
            shared,
        )
        assert self._redis is not None
        try:
            await self._redis.client().delete(shared)
        except Exception as exc:  # noqa: BLE001 - a cache that cannot delete is only slower
            self._redis.failed(exc)

    def _shared_key(self, key: str) -> str:
        return f"{KEY_PREFIX}:job:{self._scope}:{key}"


def _readable(stored: bytes | str) -> dict[str, Any] | None:
    """A JSON object nested no deeper than any Wix answer, or None."""
    try:
        value = json.loads(stored)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past the parser
        return None
    if not isinstance(value, dict) or not nested_within(value, MAX_DEPTH):
        return None
    return cast(dict[str, Any], value)

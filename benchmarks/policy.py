"""The cost per call of the site access check (WIX_MCP_SITE_ACCESS) with 1,000 grants.

    uv run python benchmarks/policy.py

What a call pays: the caller's grants found from the token's claims, then whether the site it
names is among them (`SitePolicy.access` and `Access.sees`, as `AppState.site` runs them).
Measured for a token matching 2 grants, one matching none, one whose `groups` claim lists 50
teams, and one that matches "*". Budget: ≤ 0.1 ms per call in the slowest of 20 rounds.
Exits 1 when the budget is missed.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

from wix_data_mover_mcp.tools.access import SitePolicy
from wix_data_mover_mcp.wix.sites import Site

GRANTS = 1000
CALLS = 20_000
ROUNDS = 20
BUDGET_MS = 0.1


def policy() -> SitePolicy:
    grants: list[dict[str, Any]] = [
        {"claim": "groups", "equals": f"team-{n}", "sites": [f"Client {n:03}", "Shared Site"]}
        for n in range(GRANTS - 1)
    ]
    grants.append({"claim": "sub", "equals": "owner@agency.example", "sites": ["*"], "write": True})
    return SitePolicy.parse(json.dumps({"grants": grants}), source="benchmark")


def per_call_ms(check: SitePolicy, claims: dict[str, Any], site: Site) -> list[float]:
    means: list[float] = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(CALLS):
            check.access(claims).sees(site)
        means.append((time.perf_counter() - started) / CALLS * 1000)
    return means


def main() -> int:
    check = policy()
    site = Site("d3e0a5c1-7b2f-4c8e-9a61-5f4b3c2d1e00", "Client 700")
    cases = {
        "token matching 2 of 1,000 grants": {"sub": "ana", "groups": ["team-7", "team-700"]},
        "token matching none": {"sub": "nobody", "groups": ["florists"]},
        "token with 50 groups, all granted": {
            "sub": "ben",
            "groups": [f"team-{n}" for n in range(50)],
        },
        'token granted "*"': {"sub": "owner@agency.example"},
    }
    print(f"Site access check, {GRANTS:,} grants, {ROUNDS} rounds of {CALLS:,} calls")
    print(f"Python {sys.version.split()[0]}; budget ≤ {BUDGET_MS} ms per call\n")
    print(f"{'case':<40} {'min':>8} {'median':>8} {'max':>8}  (µs per call)")
    worst = 0.0
    for name, claims in cases.items():
        means = per_call_ms(check, claims, site)
        worst = max(worst, max(means))
        low, mid, high = min(means), statistics.median(means), max(means)
        print(f"{name:<40} {low * 1000:>8.2f} {mid * 1000:>8.2f} {high * 1000:>8.2f}")
    ok = worst <= BUDGET_MS
    print(f"\nslowest round: {worst * 1000:.2f} µs per call: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The child side of ``test_hostgate``: concurrent GETs to one host through a gate, in a process of its
own (spawned: the gates' users are separate processes, as workers on several machines are)."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from ecitizen.hostgate import GateRules, SharedHostGates


def requests(conninfo: str | None, url: str, host: str, rules: GateRules, n: int) -> list[float]:
    """``n`` concurrent GETs of ``url`` through the shared gate (through the in-process gate when
    ``conninfo`` is None); returns when each request started (after its gate)."""

    async def go() -> list[float]:
        from ecitizen.archive.probe import LocalHostGates

        starts: list[float] = []
        async with aiohttp.ClientSession() as http:

            async def one(gates: LocalHostGates | SharedHostGates) -> None:
                async with gates.slot(host):
                    starts.append(time.time())
                    async with http.get(url) as resp:
                        await resp.read()

            if conninfo is None:
                local = LocalHostGates(rules.limit, rules.interval)
                await asyncio.gather(*(one(local) for _ in range(n)))
            else:
                async with SharedHostGates(conninfo, rules) as shared:
                    await asyncio.gather(*(one(shared) for _ in range(n)))
        return starts

    return asyncio.run(go())

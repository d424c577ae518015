"""Models the bots tests run (importable by module path, as a bot process needs)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from exchanges.bots import Bot, NotJsonError


async def _forever() -> None:
    await asyncio.Event().wait()  # until the runner stops the bot


class Recorder(Bot):
    """Counts its boots, records the last trade price; returns when told ``stop``."""

    async def main(self, args: dict[str, Any]) -> None:
        state = await self.get_state()
        await self.update_state("boots", state.get("boots", 0) + 1)
        await self.update_state("pid", os.getpid())
        await self.update_state("initial", _plain(self.initial_state))
        async for trade in self.exchange.stream_trades(self.symbol):
            await self.update_state("last", trade.price)
            if (await self.get_state()).get("stop"):
                return


class Listener(Bot):
    """Acts on messages: ``read`` copies state key ``ping`` to ``seen``; ``stop`` returns."""

    async def main(self, args: dict[str, Any]) -> None:
        await self.update_state("sharing", self.exchange.sharing.mode)  # "redis" with a URL
        await self.update_state("pid", os.getpid())
        async for message in self.messages():
            await self.update_state("got", [message.sender, message.body])
            if message.body == "read":  # "seen" is written last: the test waits for it
                ping = (await self.get_state()).get("ping")
                await self.remove_key("ping")
                await self.update_state("seen", ping)
            elif message.body == "bad":
                try:
                    await self.update_state("bad", {1, 2})
                except NotJsonError as exc:  # refused here, in the bot's process
                    await self.update_state("refused", [type(exc).__name__, str(exc)])
            elif message.body == "stop":
                return


class Teller(Bot):
    """Tells ``args["to"]`` to stop once the runner writes ``go``, then idles."""

    async def main(self, args: dict[str, Any]) -> None:
        await self.update_state("sharing", self.exchange.sharing.mode)
        await self.update_state("pid", os.getpid())
        async for message in self.messages():
            if message.body == "go":
                await self.update_state("sent_to", await self.send(args["to"], "stop"))
                break
        await _forever()


class Crasher(Bot):
    """Raises on its first ``args["fail"]`` boots (every boot when ``fail`` is -1)."""

    async def main(self, args: dict[str, Any]) -> None:
        boots = (await self.get_state()).get("boots", 0) + 1
        await self.update_state("pid", os.getpid())
        await self.update_state("boots", boots)  # last: the tests wait for it
        if args["fail"] == -1 or boots <= args["fail"]:
            raise RuntimeError(f"boom {boots}")
        await _forever()


def _plain(balances: dict[str, Any]) -> dict[str, Any]:
    return {c: {k: str(v) for k, v in b.items()} for c, b in balances.items()}


class Idle(Bot):
    """Waits to be stopped, touching neither state nor messages after its start."""

    async def main(self, args: dict[str, Any]) -> None:
        await self.update_state("pid", os.getpid())
        await _forever()


class Stubborn(Bot):
    """Ignores its cancellation (what stop()'s grace period is for)."""

    async def main(self, args: dict[str, Any]) -> None:
        await self.update_state("pid", os.getpid())
        while True:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                continue

"""``config={"verbose": True}``: ccxt's verbose dump (signed URLs, ``X-MBX-APIKEY``, the
WebSocket API's signed subscription) goes to the library's log at DEBUG, redacted, and
nothing of it reaches stdout or stderr. ccxt prints it through ``Exchange.log`` (``print``);
the adapter hands ccxt a hook that logs instead."""

from __future__ import annotations

import asyncio
import logging
import re
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

#: an HMAC-SHA256 signature as binance's requests carry it
SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


async def test_verbose_output_is_logged_redacted_never_printed(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with capture_logs() as events:
        async with (
            Simulator(seed=3, rate=0) as sim,
            BinanceExchange(
                endpoint=sim.endpoint,
                credentials={"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET},
                config={"verbose": True},
            ) as ex,
        ):
            await ex.fetch_balance()  # signed GET: signature in the URL, key in a header
            order = await ex.place_order(  # signed POST: signature in the body
                "BTC/USDT", "buy", "limit", Decimal("0.001"), Decimal("10000")
            )
            await ex.cancel_order(order.id, "BTC/USDT")
            balance = asyncio.ensure_future(ex.watch_balance())  # signed WebSocket request
            async with asyncio.timeout(10):
                await sim.wait_user_stream()
                sim.deposit(DEMO_API_KEY, "USDT", Decimal(1))
                await balance
    printed = capsys.readouterr()
    verbose = [e["line"] for e in events if e["event"] == "ccxt.verbose"]
    everything = "\n".join([printed.out, printed.err, caplog.text, repr(events)])

    assert DEMO_API_KEY not in everything
    assert DEMO_SECRET not in everything
    assert not SIGNATURE.findall(everything)
    assert printed.out == ""
    assert "fetch Request" not in printed.err
    assert all(e["log_level"] == "debug" for e in events if e["event"] == "ccxt.verbose")
    account = next(line for line in verbose if "GET" in line and "/api/v3/account?" in line)
    assert "signature=***" in account
    assert "'X-MBX-APIKEY': '***'" in account
    placed = next(line for line in verbose if "POST" in line and "/api/v3/order" in line)
    assert "signature=***" in placed
    subscribe = next(line for line in verbose if "userDataStream.subscribe.signature" in line)
    assert "'apiKey': '***'" in subscribe
    assert "'signature': '***'" in subscribe

"""Binance's JSON shapes for the records (numbers as fixed-point strings)."""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any

from exchanges.simulator._candles import Candle
from exchanges.simulator._records import Account, Fill, Order, Trade


def num(value: Decimal) -> str:
    """Binance writes amounts with 8 decimals: ``"0.00100000"``."""
    return f"{value:.8f}"


def order_json(order: Order, resp_type: str = "FULL", *, for_query: bool = False) -> dict[str, Any]:
    ack: dict[str, Any] = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
    }
    if not for_query:
        ack["transactTime"] = order.time
    if resp_type == "ACK":
        return ack
    result = {
        **ack,
        "price": num(order.price),
        "origQty": num(order.orig_qty),
        "executedQty": num(order.executed_qty),
        "origQuoteOrderQty": num(order.orig_quote_qty),
        "cummulativeQuoteQty": num(order.cumulative_quote_qty),
        "status": order.status.value,
        "timeInForce": order.time_in_force or "GTC",
        "type": order.type,
        "side": order.side.value,
        "workingTime": order.time,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if for_query:
        result.update(
            {
                "stopPrice": num(Decimal(0)),
                "icebergQty": num(Decimal(0)),
                "time": order.time,
                "updateTime": order.update_time or order.time,
                "isWorking": order.status.is_open,
            }
        )
    if resp_type == "FULL" and not for_query:
        result["fills"] = [fill_json(f) for f in order.fills]
    return result


def fill_json(fill: Fill) -> dict[str, Any]:
    return {
        "price": num(fill.price),
        "qty": num(fill.qty),
        "commission": num(fill.commission),
        "commissionAsset": fill.commission_asset,
        "tradeId": fill.trade_id,
    }


def my_trade_json(order: Order, fill: Fill) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "id": fill.trade_id,
        "orderId": order.order_id,
        "orderListId": -1,
        "price": num(fill.price),
        "qty": num(fill.qty),
        "quoteQty": num(fill.price * fill.qty),
        "commission": num(fill.commission),
        "commissionAsset": fill.commission_asset,
        "time": fill.time,
        "isBuyer": order.side.value == "BUY",
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }


def trade_json(trade: Trade) -> dict[str, Any]:
    return {
        "id": trade.trade_id,
        "price": num(trade.price),
        "qty": num(trade.qty),
        "quoteQty": num(trade.price * trade.qty),
        "time": trade.time,
        "isBuyerMaker": trade.buyer_is_maker,
        "isBestMatch": True,
    }


def agg_trade_json(trade: Trade) -> dict[str, Any]:
    """One aggregate trade per trade: ``a`` reuses the trade id."""
    return {
        "a": trade.trade_id,
        "p": num(trade.price),
        "q": num(trade.qty),
        "f": trade.trade_id,
        "l": trade.trade_id,
        "T": trade.time,
        "m": trade.buyer_is_maker,
        "M": True,
    }


def kline_row(candle: Candle, interval_ms: int) -> list[Any]:
    return [
        candle.open_time,
        num(candle.open),
        num(candle.high),
        num(candle.low),
        num(candle.close),
        num(candle.volume),
        candle.open_time + interval_ms - 1,
        num(candle.quote_volume),
        candle.trades,
        num(candle.taker_buy_volume),
        num(candle.taker_buy_quote_volume),
        "0",
    ]


def account_json(account: Account, now: int, *, omit_zero: bool = False) -> dict[str, Any]:
    balances = [
        {"asset": asset, "free": num(b.free), "locked": num(b.locked)}
        for asset, b in sorted(account.balances.items())
        if not (omit_zero and b.free == 0 and b.locked == 0)
    ]
    maker = account.commission_maker
    taker = account.commission_taker
    return {
        "makerCommission": int(maker * 10000),
        "takerCommission": int(taker * 10000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": num(maker),
            "taker": num(taker),
            "buyer": num(Decimal(0)),
            "seller": num(Decimal(0)),
        },
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": zlib.crc32(account.api_key.encode()),
    }

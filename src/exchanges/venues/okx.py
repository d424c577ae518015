"""okx: a passphrase credential and its client order id rules.

ccxt's ``okx`` lists ``password`` (OKX calls it the passphrase) in ``requiredCredentials``;
the generic adapter refuses a key and secret without it, naming the field, before any
request. Market types map one to one onto ccxt's ``defaultType``.
Client order ids (``clOrdId``): 1 to 32 letters and digits. ``params=`` may not carry
OKX's wire names for what the adapter validates (``instId``, ``sz``, ``px``, ``tgtCcy``...).
"""

from __future__ import annotations

from types import MappingProxyType

from exchanges.ccxt._adapter import CcxtExchange
from exchanges.trading._orders import ClientOrderIdRules


class OkxExchange(CcxtExchange):
    ccxt_id = "okx"
    client_order_id_rules = ClientOrderIdRules(max_length=32, pattern=r"[A-Za-z0-9]+")
    order_field_params = MappingProxyType(
        {
            "symbol": ("instId",),
            "amount": ("sz", "tgtCcy", "closeFraction"),  # tgtCcy: sz in the quote currency
            "price": ("px", "orderPx"),
            "trigger_price": ("triggerPx", "slTriggerPx", "tpTriggerPx"),
            "trailing_amount": ("callbackRatio", "callbackSpread"),
        }
    )
    order_lookup_params = MappingProxyType(
        {"symbol": ("instId",), "order_id": ("ordId", "algoId", "algoClOrdId")}
    )

"""kraken (spot): its order types through the unified ``place_order`` arguments.

``OrderType.STOP_LOSS`` / ``TAKE_PROFIT`` (and their ``_LIMIT`` forms) become kraken's
``stop-loss`` / ``take-profit`` (``-limit``) order types with ``price`` as the trigger;
``TRAILING_STOP`` with ``trailing_amount`` becomes ``trailing-stop`` with a ``+offset``;
``post_only`` becomes ``oflags=post``. ccxt builds those requests from its unified
parameters; the wire tests hold them to kraken's documented ``AddOrder`` fields.
ccxt builds stop-loss, take-profit and post-only orders for kraken but leaves them unset
in ``has``; ``capability_overrides`` declares them, so ``place_order`` does not refuse them.
Client order ids (``cl_ord_id``): kraken accepts a UUID or free text of at most 18
characters; ids are generated in the free-text form. ``params=`` may not carry kraken's
wire names for what the adapter validates (``volume``, ``price2``, ``oflags``...).
"""

from __future__ import annotations

from types import MappingProxyType

from exchanges._capabilities import Support
from exchanges.ccxt._adapter import CcxtExchange
from exchanges.trading._orders import ClientOrderIdRules


class KrakenExchange(CcxtExchange):
    ccxt_id = "kraken"
    client_order_id_rules = ClientOrderIdRules(max_length=18, pattern=r"[A-Za-z0-9]+")
    capability_overrides = MappingProxyType(
        {
            "stop_loss_orders": Support.NATIVE,
            "take_profit_orders": Support.NATIVE,
            "post_only_orders": Support.NATIVE,
        }
    )
    order_field_params = MappingProxyType(
        {
            "amount": ("volume",),
            "price": ("price2",),
            "post_only": ("oflags",),  # also viqc: the volume in the quote currency
            "trailing_amount": ("offset", "trailingLimitAmount", "trailingLimitPercent"),
        }
    )
    order_lookup_params = MappingProxyType({"order_id": ("txid",)})

"""coinbase (Advanced Trade): client order id rules.

Authentication (HMAC with ``CB-ACCESS-*`` headers for legacy keys, an ES256 JWT bearer
token for CDP keys) is ccxt's. Coinbase Exchange (``coinbaseexchange``, with a passphrase)
needs no subclass: its ``requiredCredentials`` already make the generic adapter ask for the
passphrase. Client order ids: up to 128 characters of letters, digits, ``-`` and ``_``.
Markets are not shared between accounts: ccxt loads each account's own fee tier into them
(``transaction_summary``). ``params=`` may not carry Coinbase's wire names for what the
adapter validates (``order_configuration``, ``base_size``, ``limit_price``...).
"""

from __future__ import annotations

from types import MappingProxyType

from exchanges.ccxt._adapter import CcxtExchange
from exchanges.trading._orders import ClientOrderIdRules


class CoinbaseExchange(CcxtExchange):
    ccxt_id = "coinbase"
    client_order_id_rules = ClientOrderIdRules(max_length=128, pattern=r"[A-Za-z0-9_-]+")
    share_markets = False
    order_field_params = MappingProxyType(
        {
            "type": ("order_configuration",),  # the whole order: type, sizes, prices
            "amount": ("base_size", "quote_size"),
            "price": ("limit_price",),
            "trigger_price": ("stop_price", "stop_trigger_price"),
        }
    )

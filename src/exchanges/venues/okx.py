"""okx: a passphrase credential and its client order id rules.

ccxt's ``okx`` lists ``password`` (OKX calls it the passphrase) in ``requiredCredentials``;
the generic adapter refuses a key and secret without it, naming the field, before any
request. Market types map one to one onto ccxt's ``defaultType``.
Client order ids (``clOrdId``): 1 to 32 letters and digits.
"""

from __future__ import annotations

from exchanges.ccxt._adapter import CcxtExchange
from exchanges.trading._orders import ClientOrderIdRules


class OkxExchange(CcxtExchange):
    ccxt_id = "okx"
    client_order_id_rules = ClientOrderIdRules(max_length=32, pattern=r"[A-Za-z0-9]+")

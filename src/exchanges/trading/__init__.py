"""Trading safety, venue-agnostic: order validation and rounding (``_orders``), the guard
around every request (``_guard``: retries for reads, the ban breaker, clock resync), the
venue's request budget (``_ratelimit``), clock sync (``_clock``) and the order tracker
(``_tracker``).

It may use ``core`` and ``exchanges._capabilities`` only; the adapters use it.
"""

from exchanges.trading._guard import Guard, RetryPolicy
from exchanges.trading._orders import ClientOrderIdRules, OrderRequest
from exchanges.trading._ratelimit import Priority
from exchanges.trading._tracker import OrderTracker

__all__ = ["ClientOrderIdRules", "Guard", "OrderRequest", "OrderTracker", "Priority", "RetryPolicy"]

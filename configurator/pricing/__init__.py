"""The pricing engine: (catalog, configuration, market, date) -> Quote.

:mod:`configurator.pricing.engine` is the entry point (:class:`~.engine.Pricer`); the modules
beside it each answer one question of a quote (README, Design: Pricing). Money and its one
rounding rule live at the bottom of the package, in :mod:`configurator.money`;
``configurator.pricing.money``, its former place, still names that module.
"""

import sys

from configurator import money as _money

sys.modules.setdefault(f"{__name__}.money", _money)

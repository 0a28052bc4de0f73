"""The rules engine: constraints (one meaning of validity), compilation, the solution space.

The expression parser lives below the catalog layer, in :mod:`configurator.expr` (the catalog
parses expressions too). ``configurator.expr``, its former place, still names the same
module, so code written against the old path keeps working.
"""

import sys

from configurator import expr as _expr

sys.modules.setdefault(f"{__name__}.expr", _expr)

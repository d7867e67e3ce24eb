"""The schema library, typed as the running Home Assistant's.

Home Assistant validated with voluptuous until it moved to probatio, a drop-in
with the same API that also serves `import voluptuous` from then on. At run
time `voluptuous` is therefore right on every supported version. For the type
checker, the newest end (Python 3.14) expects probatio's types.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING and sys.version_info >= (3, 14):
    import probatio as vol
else:
    import voluptuous as vol

__all__ = ["vol"]

"""Names that moved between Home Assistant's ends, typed as the running one's.

Home Assistant validated with voluptuous until it moved to probatio, a drop-in
with the same API that also serves `import voluptuous` from then on. At run
time `voluptuous` is therefore right on every supported version. For the type
checker, the newest end (Python 3.14) expects probatio's types. Notify's
entity features moved to its const module.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING and sys.version_info >= (3, 14):
    from homeassistant.components.notify.const import NotifyEntityFeature
    import probatio as vol
else:
    # Notify's features moved to its const module (2025.5 and later), and are
    # still imported into the package, where 2025.4 defines them.
    from homeassistant.components.notify import NotifyEntityFeature
    import voluptuous as vol

__all__ = ["NotifyEntityFeature", "vol"]

"""Write translations/en.json from strings.json, resolving [%key:…%] references.

Home Assistant resolves these references only for core integrations; a custom
integration ships the resolved English text.  Run after editing strings.json:

    python scripts/translations.py
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Any

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "click_to_call"
REFERENCE = re.compile(r"\[%key:component::click_to_call::([a-z0-9_:]+)%\]")


def resolve(strings: dict[str, Any]) -> dict[str, Any]:
    """Return strings with every reference replaced by the text it names."""

    def lookup(path: str) -> str:
        node: Any = strings
        for part in path.split("::"):
            node = node[part]
        if not isinstance(node, str):
            raise ValueError(f"{path} is not a string")
        return REFERENCE.sub(lambda match: lookup(match.group(1)), node)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        return REFERENCE.sub(lambda match: lookup(match.group(1)), node)

    return walk(strings)  # type: ignore[no-any-return]


def main() -> int:
    """Write en.json; with --check, fail when it is not up to date."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    text = json.dumps(resolve(strings), indent=2, ensure_ascii=False) + "\n"
    target = INTEGRATION / "translations" / "en.json"
    if "--check" in sys.argv:
        if target.read_text(encoding="utf-8") != text:
            print("translations/en.json is out of date: run scripts/translations.py")
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the provider sandbox: python -m sandbox [--host 127.0.0.1] [--port 8124] [--state PATH] [--quiet]."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from . import create_app


def main() -> None:
    """Serve the sandbox until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback by default")
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument(
        "--state",
        type=Path,
        help="keep the webhook URLs and settings of the page in this file",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no access log (for benchmarks)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO)
    quiet: dict[str, Any] = {"access_log": None, "print": None} if args.quiet else {}
    web.run_app(
        create_app(state_file=args.state), host=args.host, port=args.port, **quiet
    )


if __name__ == "__main__":
    main()

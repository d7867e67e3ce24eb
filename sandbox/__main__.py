"""Run the provider sandbox: python -m sandbox [--host 127.0.0.1] [--port 8124]."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from . import create_app


def main() -> None:
    """Serve the sandbox until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback by default")
    parser.add_argument("--port", type=int, default=8124)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

"""``python -m bench NAME [args]``: run ``bench/NAME.py``'s ``main(argv)``, which prints one JSON object."""

import importlib
import re
import sys


def main(argv: list[str]) -> int:
    if not argv or not re.fullmatch(r"[a-z_][a-z0-9_]*", argv[0]):
        print("usage: python -m bench NAME [args]", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{argv[0]}")
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

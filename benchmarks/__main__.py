"""Dispatch ``python -m benchmarks <suite> …`` to ``benchmarks/<suite>.py``.

Only the chosen suite is imported, so one suite's optional dependencies (peer solvers in the
``bench`` extra) never stop another suite from running.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path


def _suite_names() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(here)])
        if not info.name.startswith("_") and info.name not in ("instances", "checker", "common")
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    names = _suite_names()
    if not argv or argv[0] not in names:
        print("usage: python -m benchmarks SUITE [options] [--json] [--report FILE]\n\nsuites:")
        for name in names:
            try:
                module = importlib.import_module(f"benchmarks.{name}")
                desc = getattr(module, "DESCRIPTION", "")
            except ImportError as exc:
                desc = f"(unavailable: {exc})"
            print(f"  {name:<10} {desc}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(f"benchmarks.{argv[0]}")
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks {argv[0]}", description=module.__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--report", type=Path, help="also write the markdown report to this file")
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    result = module.run(args)
    text = module.render(result)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

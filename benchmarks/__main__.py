"""Dispatch ``python -m benchmarks <suite> …`` to ``benchmarks/<suite>.py``."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from types import ModuleType


def _suites() -> dict[str, ModuleType]:
    here = Path(__file__).parent
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules([str(here)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        if hasattr(module, "run") and hasattr(module, "add_arguments"):
            found[info.name] = module
    return found


def main(argv: list[str] | None = None) -> int:
    suites = _suites()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="suite", required=True, metavar="SUITE")
    for name, module in sorted(suites.items()):
        p = sub.add_parser(name, help=getattr(module, "DESCRIPTION", ""))
        p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        p.add_argument("--report", type=Path, help="also write the markdown report to this file")
        module.add_arguments(p)
    args = parser.parse_args(argv)
    module = suites[args.suite]
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

"""On-demand benchmark suites: ``python -m benchmarks <suite> [options] [--json]``.

Each suite is a module ``benchmarks/<suite>.py`` defining::

    DESCRIPTION: str
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> dict[str, object]   # JSON-serialisable result
    def render(result: dict[str, object]) -> str            # a markdown report

They are never collected by the default test run.
"""

"""`tournee serve` keeps access tokens out of its access log (page links may carry ?token=)."""

from __future__ import annotations

import logging
import logging.config

from tournee.api.commands.serve import RedactTokens, log_config


def access_record(path: str) -> logging.LogRecord:
    """A record shaped like uvicorn's access log lines."""
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200), None,
    )  # fmt: skip


def test_token_values_are_redacted_and_the_rest_of_the_line_kept() -> None:
    record = access_record("/planner?token=s3cr3t-abc&lang=fr")
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "s3cr3t-abc" not in line
    assert "/planner?token=***&lang=fr" in line
    assert line.endswith("200")


def test_lines_without_a_token_are_unchanged() -> None:
    record = access_record("/v1/health")
    RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /v1/health HTTP/1.1" 200'


def test_uvicorn_log_config_applies_the_filter_to_the_access_handler() -> None:
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate)
        for n in names
    }
    try:
        logging.config.dictConfig(log_config())
        handler = next(h for h in logging.getLogger("uvicorn.access").handlers)
        assert any(isinstance(f, RedactTokens) for f in handler.filters)
    finally:  # leave logging as the rest of the suite found it
        for n, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(n)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate

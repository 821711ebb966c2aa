"""schemathesis over the whole OpenAPI document: no 5xx, and every answer matches its schema.

Examples are bounded (a few per operation) to keep the run short; solver time limits in
queries and bodies are capped so that generated plan and VROOM requests stay quick.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.api.http.conftest import make_tenant

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _cap_time_limits(case: Any) -> None:
    if case.query and "time_limit_s" in case.query:
        case.query["time_limit_s"] = 0.2
    if isinstance(case.body, dict) and "time_limit_s" in case.body:
        case.body["time_limit_s"] = 0.2


def test_no_operation_answers_5xx_or_breaks_its_schema(client: TestClient) -> None:
    """Every operation, a few generated requests each, with an admin token of a fleet-less tenant."""
    tenant = make_tenant(client)
    # Schema conformance hardly depends on the database: fewer examples on the second backend.
    examples = 1 if client.app.state.settings.database_url else 2  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            _cap_time_limits(case)
            case.call_and_validate(headers=tenant.admin, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations > 40
    assert not failures, "\n\n".join(failures)

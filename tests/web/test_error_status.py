"""The service answers a library error with the status of its class, whatever its message says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cnsmm import errors
from cnsmm.tracking.store import Store
from cnsmm.web.app import create_app


@pytest.mark.parametrize("cls", errors.ALL_ERRORS, ids=lambda c: c.__name__)
def test_an_error_escaping_a_route_is_answered_with_its_class_status(cls: type[errors.Error], store: Store) -> None:
    app = create_app(store=store)

    def boom() -> None:
        raise cls("too many alias bomb words that once chose the status", hint="Try again later")

    app.add_api_route("/boom", boom)
    with TestClient(app) as client:
        response = client.get("/boom")
    assert response.status_code == cls.http_status
    assert response.json() == {"detail": "too many alias bomb words that once chose the status. Try again later"}


def test_login_failures_have_distinct_classes_and_statuses() -> None:
    assert issubclass(errors.LoginThrottledError, errors.LoginFailedError)
    assert issubclass(errors.LoginFailedError, errors.AuthError)
    statuses = {cls.http_status for cls in (errors.AuthError, errors.LoginFailedError, errors.LoginThrottledError)}
    assert statuses == {422, 401, 429}

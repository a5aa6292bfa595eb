"""Every error class says its exit code and HTTP status; the service maps errors by class."""

from __future__ import annotations

import inspect

from cnsmm import errors
from cnsmm.errors import ALL_ERRORS, Error


def test_every_error_class_is_listed_with_an_exit_code_and_an_http_status() -> None:
    defined = {
        obj for _name, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, Error) and obj is not Error and obj.__module__ == errors.__name__
    }
    assert defined == set(ALL_ERRORS)
    for cls in ALL_ERRORS:
        assert cls.exit_code in (errors.EXIT_FINDINGS, errors.EXIT_ERROR, errors.EXIT_INCOMPLETE), cls
        assert 400 <= cls.http_status < 500, cls  # the service answers no 5xx for a library error
        assert cls.__doc__, cls


def test_status_comes_from_the_class_not_the_message() -> None:
    assert errors.InputNotFoundError("typo/").http_status == 404
    assert errors.AssessmentIncomplete("x").exit_code == errors.ScanIncomplete("x").exit_code == 3

"""Every error that stops a command, with its exit code and HTTP status.

Each says where, what, and what to do. The CLI exits with :attr:`Error.exit_code` (``_cli``
catches :class:`Error` in one place); :attr:`Error.http_status` is the status the web service
should answer with, :meth:`Error.diagnostics` the detail. Map an error by its class (its
attributes), never by its text.

Exit codes (documented in the README): 0 success, 1 findings at or above ``--fail-on``,
2 usage, configuration or input error, 3 the run finished but is incomplete.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INCOMPLETE = 3


class Error(Exception):
    """Base class of cnsmm errors that the CLI and the API report to the user."""

    exit_code = EXIT_ERROR
    http_status = 422
    prefix = "error"
    """Word the CLI prints before the message."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The message, followed by what to do about it."""
        return f"{self.message}. {self.hint}" if self.hint else self.message


# configuration and input
class ConfigError(Error):
    """The configuration file or a command-line option is wrong."""


class InputNotFoundError(Error):
    """A path given on the command line does not exist."""

    http_status = 404


class NothingScannedError(Error):
    """A scan found no object it could check."""


class ReportParseError(Error):
    """An imported report is malformed or of an unknown format."""


class ItemParseError(ReportParseError):
    """A malformed part of a report, with where it is and what is wrong kept apart."""

    def __init__(self, where: object, what: str | None = None, hint: str | None = None) -> None:
        # ``ItemParseError(message, hint=...)`` also works, as for every Error (the parsing
        # process sends errors back as class, message and hint).
        super().__init__(f"{where}: {what}" if what is not None else str(where), hint=hint)
        self.where = where
        """The file name, or the item's position (``cnsmm.importers._common.At``, which prints as
        ``file: result #3, vulnerability #12``)."""
        self.what = what if what is not None else str(where).rsplit(": ", 1)[-1]


class ModelError(Error):
    """The maturity model file is invalid."""


# results of a run
class ScanFailed(Error):
    """Findings at or above ``--fail-on`` (exit 1)."""

    exit_code = EXIT_FINDINGS
    prefix = "failed"


class ScanIncomplete(Error):
    """Some inputs could not be read, parsed or checked (exit 3)."""

    exit_code = EXIT_INCOMPLETE
    prefix = "incomplete"


class AssessmentIncomplete(Error):
    """The assessment ran, but the scan behind it could not read every input (exit 3)."""

    exit_code = EXIT_INCOMPLETE
    prefix = "incomplete"


# the findings store and the tracker
class StoreError(Error):
    """The findings store cannot be opened or is in a bad state."""


class StoreBusyError(StoreError):
    """Another writer holds the store's lock, and the caller chose not to wait."""


class ProjectNotFoundError(Error):
    """The project does not exist in the store."""

    http_status = 404


class FindingNotFoundError(Error):
    """No finding has the given id."""

    http_status = 404


class WorkflowError(Error):
    """A status change, assignment or comment that is not allowed."""

    def __init__(self, message: str, *, hint: str | None = None, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message, hint=hint)
        self.fields = fields
        """The request fields at fault (``reason``, ``approver``, ``expires``, ``duplicate_of``)."""


# importing reports into the store
class ImportFailed(Error):
    """Some reports could not be imported (the others were)."""


class ImportPartial(Error):
    """Every report was imported, but some items of them were malformed and skipped (exit 3)."""

    exit_code = EXIT_INCOMPLETE


# accounts and the service
class AuthError(Error):
    """A user, password or membership request that is not valid (a name taken, a short password)."""


class LoginFailedError(AuthError):
    """Wrong user name or password."""

    http_status = 401


class LoginThrottledError(LoginFailedError):
    """Too many failed logins from one address or for one user; the caller must wait."""

    http_status = 429


class UploadError(Error):
    """The service refused an upload or could not be reached."""


ALL_ERRORS: tuple[type[Error], ...] = (
    ConfigError, InputNotFoundError, NothingScannedError, ReportParseError, ItemParseError, ModelError, ScanFailed,
    ScanIncomplete, AssessmentIncomplete, StoreError, StoreBusyError, ProjectNotFoundError,
    FindingNotFoundError, WorkflowError, ImportFailed, ImportPartial, AuthError, LoginFailedError,
    LoginThrottledError, UploadError,
)
"""Every error class, for the documentation and the tests."""

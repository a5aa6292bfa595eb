"""Errors that stop a command. Each says where, what, and what to do."""

from __future__ import annotations


class Error(Exception):
    """Base class of cnsmm errors that the CLI and the API report to the user."""

    exit_code = 2
    prefix = "error"
    """Word the CLI prints before the message."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The message, followed by what to do about it."""
        return f"{self.message}. {self.hint}" if self.hint else self.message


class ConfigError(Error):
    """The configuration file or a command-line option is wrong."""


class InputNotFoundError(Error):
    """A path given on the command line does not exist."""


class NothingScannedError(Error):
    """A scan found no object it could check."""


class ReportParseError(Error):
    """An imported report is malformed or of an unknown format."""


class ModelError(Error):
    """The maturity model file is invalid."""


class StoreError(Error):
    """The findings store cannot be opened or is in a bad state."""


class StoreBusyError(StoreError):
    """Another writer holds the store's lock, and the caller chose not to wait."""

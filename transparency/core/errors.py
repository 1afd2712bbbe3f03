"""Errors a user can act on: each names the file, row, column or config key it is about."""

from __future__ import annotations

import errno


class TransparencyError(Exception):
    """Base class; the CLI prints ``str(error)`` and exits with ``exit_code`` (no traceback)."""

    exit_code = 1


class ConfigError(TransparencyError):
    """agency.yml is missing, unreadable, or does not match the schema.

    Parameters
    ----------
    path : str
        The agency.yml file.
    key : str
        Dotted key path, e.g. ``datasets.use_of_force.columns.occurred_at``; empty for the whole file.
    message : str
        What was expected.
    """

    def __init__(self, path: str, key: str, message: str):
        self.path, self.key, self.message = str(path), key, message
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + message)


class DataError(TransparencyError):
    """An input file cannot be used as configured.

    Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
    """

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        self.file, self.row, self.column, self.message = str(file), row, column, message
        parts = [self.file]
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column '{column}'")
        super().__init__(", ".join(parts) + ": " + message)


class UsageError(TransparencyError):
    """The command line was wrong (unknown agency, malformed period, unknown dataset name)."""

    exit_code = 2


class ConfigErrors(ConfigError):
    """Several problems in one agency.yml, all found at once (so a user fixes them in one pass).

    ``problems`` holds one :class:`ConfigError` per problem, each with its key path.
    """

    def __init__(self, path: str, problems: list[ConfigError]):
        self.problems = list(problems)
        lines = [f"{p.key}: {p.message}" if p.key else p.message for p in self.problems]
        TransparencyError.__init__(self, f"{path}: {len(lines)} problems\n" + "\n".join(f"  - {line}" for line in lines))
        self.path, self.key, self.message = str(path), "", "\n".join(lines)


_OS_ERRORS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied (the folder or file is read-only to this user)",
    errno.EPERM: "the operation is not permitted",
}


def os_error_message(exc: OSError) -> str:
    """A failed read or write in words: the file, what went wrong, what to do (the CLI's message, no traceback).

    A build or release writes into a hidden folder and puts it in place only once it is whole, so the last
    report and every release are as they were.
    """
    where = " and ".join(str(name) for name in (exc.filename, exc.filename2) if name) or "a file"
    what = _OS_ERRORS.get(exc.errno, exc.strerror or str(exc))
    return (f"{where}: {what} ({exc.strerror or type(exc).__name__}). Nothing half-written was kept: the last report "
            "and every release are as they were. Free some space or make the folder writable, then run the command "
            "again.")

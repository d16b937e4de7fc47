"""Errors a user can fix, shared by every command (one class, whichever module
raises it, so the command line always prints it as one line)."""


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""

"""Errors that reach the user as one line on stderr and exit code 2."""


class UserError(Exception):
    """Bad input: the message says what was wrong and what to do."""

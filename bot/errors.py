"""Errors worded for the person at the keyboard; the CLI prints them as one line on stderr."""


class UserError(Exception):
    """Something the user asked for cannot be done; the message says what and how to fix it."""

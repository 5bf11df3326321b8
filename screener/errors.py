"""Errors a user can cause. Front ends turn them into a message and exit code 1."""


class ScreenerError(Exception):
    """Base class: the message says what was wrong and what to do."""


class InputError(ScreenerError):
    """An ad, a file or an option the user gave cannot be used."""


class ModelError(ScreenerError):
    """A model is missing, corrupt, tampered with or of an unknown format."""


class LibraryVersionError(ModelError):
    """A model was saved under other versions of the libraries its pickle depends on."""


class DataError(ScreenerError):
    """Labelled data (corpus or new cases) does not validate."""


class Cancelled(ScreenerError):
    """The user stopped a running job; nothing was written."""

"""The error types tlcore raises for input a person can fix.

Every message is written for someone who does not program: it says what is wrong, names the
file or class involved, and what to do about it. Callers (the app, the command line) show the
message as it is, without a traceback.
"""


class TlcoreError(ValueError):
    """The base of every error that bad input can cause.

    It derives from `ValueError`, so code that only knows the standard library still catches it.
    """


class UnreadableImageError(TlcoreError):
    """A file that is not a readable photo: empty, truncated, corrupt, another type, too big.

    Args:
        file_name: The name of the file as the person knows it.
        reason: Why it cannot be used, in plain words.
    """

    def __init__(self, file_name: str, reason: str):
        self.file_name = file_name
        self.reason = reason
        super().__init__(f"'{file_name}' cannot be used as a photo: {reason}")


class ClassNameError(TlcoreError):
    """A class name that cannot be used (empty, a path, a clash with another class)."""


class DatasetError(TlcoreError):
    """A set of photos that cannot be used as it is (bad zip, no classes, too few photos)."""


class WeightsNotFoundError(TlcoreError):
    """The pretrained weights are neither on disk nor downloadable."""


class ProjectFileError(TlcoreError):
    """A file that is not a readable tlcore project, or one that is unsafe to load."""


class SettingsError(TlcoreError):
    """A training setting outside the range tlcore accepts."""


class WorkspaceError(TlcoreError):
    """A project that does not exist, a name that cannot be used, or a limit reached."""


class DiskFullError(WorkspaceError):
    """The server's disk had no room for a write; what was saved before is unchanged.

    Args:
        what: What could not be saved, in words ("the trained model", "'apple.jpg'").
        reason: Why, in words: "the server's disk is full", or that it refuses large files.
    """

    def __init__(self, what: str, reason: str):
        self.what = what
        self.reason = reason
        super().__init__(
            f"{reason[0].upper()}{reason[1:]}, so {what} could not be saved. Everything saved "
            "before is kept as it was; tell the person who runs this server."
        )

"""Which photo a finding of the data checks is about, by class, file name and content hash."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class PhotoReference:
    """Which photo a finding is about.

    Args:
        file_name: The photo's name.
        class_name: The class it is labelled with.
        content_hash: The hash of its bytes, which finds it in a project.
    """

    file_name: str
    class_name: str
    content_hash: str

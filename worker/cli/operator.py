"""Who runs the CLI: the author recorded on what a command changes (e.g. a routing form's versions)."""

import os
import pwd


def operator() -> str:
    """The operating-system account running this process, as ``cli:<name>``."""
    try:
        return f"cli:{pwd.getpwuid(os.getuid()).pw_name}"
    except KeyError:  # a uid without a passwd entry (some containers)
        return f"cli:uid-{os.getuid()}"

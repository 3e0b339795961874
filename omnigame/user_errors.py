"""One clear line instead of a traceback when a command is given bad input.

Hydra prints the traceback of any exception that leaves a task function, which buries the
message (e.g. "mask/02/0007.png is missing") under frames that mean nothing to a user. The
entry points wrap their body in `reported`: errors about the input, the files or the options
become `<command>: error: <message>` on stderr and exit status 2. Anything else is a bug and
keeps its traceback; OMNIGAME_TRACEBACK=1 keeps it for user errors too.
"""
from __future__ import annotations

import functools
import os
import sys

from .io.video import InputError

# Raised by omnigame for things the user can fix: input, files, option values, and a NaN loss
# (its message says what to change before resuming).
USER_ERRORS = (InputError, FileNotFoundError, FileExistsError, NotADirectoryError, ValueError,
               FloatingPointError)
EXIT_STATUS = 2


def reported(command: str):
    """Decorator for a Hydra task function named `command` on the command line."""
    def wrap(task):
        @functools.wraps(task)
        def run(*args, **kwargs):
            try:
                return task(*args, **kwargs)
            except USER_ERRORS as err:
                if os.environ.get("OMNIGAME_TRACEBACK"):
                    raise
                message = " ".join(str(err).split())  # one line, whatever the message held
                print(f"{command}: error: {message}", file=sys.stderr)
                raise SystemExit(EXIT_STATUS) from None
        return run
    return wrap

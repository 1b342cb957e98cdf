"""How to install an optional part of fxbot (an extra), said the same way by every message that needs one.

The hint names this interpreter's own pip, so it installs into the environment fxbot runs in (typed
into a shell where the venv is not active, a bare ``pip`` would install elsewhere). In a checkout with a
lock file for the extra it installs from the lock, with hashes, as `make` and the deploy guide do;
otherwise it names the package's extra.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The checkout this fxbot runs from, if it runs from one (an installed wheel has no pyproject.toml beside it).
_CHECKOUT = Path(__file__).resolve().parent.parent


def install_hint(extra: str) -> str:
    """The command that installs ``extra`` (``train``, ``charts``, ``slack-app``, ``cluster``) here, in backticks."""
    pip = f"{sys.executable} -m pip install"
    lock = _CHECKOUT / "requirements" / f"{extra}.txt"
    if (_CHECKOUT / "pyproject.toml").is_file():
        if lock.is_file():
            return f"`{pip} --require-hashes -r {lock}`"
        return f"`{pip} -e '{_CHECKOUT}[{extra}]'`"
    return f"`{pip} 'fxbot[{extra}]'`"

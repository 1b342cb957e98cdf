"""Where state lives: ``state_dir``'s default, its environment override, and the marks that start a path."""

from __future__ import annotations

import os
from pathlib import Path

#: At the start of data.dir, model.dir, ledger.path or backtest.trials_file: the folder ``state_dir`` names.
STATE_DIR_MARK = "{state_dir}"
#: At the start of data.seed_dir or model.seed_dir: the package's own copies (``fxbot/shipped/``).
SHIPPED_MARK = "{shipped}"
#: What the package carries, in a wheel as in a checkout (where its entries are links to data/, models/ and
#: configs/default.yaml): the bundled history, the shipped models and the annotated default config.
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped"


def in_checkout(folder: Path | None = None) -> bool:
    """True if ``folder`` (the working directory) is an fxbot source checkout: its state stays in ``./state``."""
    here = folder or Path.cwd()
    return (here / "pyproject.toml").is_file() and (here / "fxbot" / "__init__.py").is_file()


def default_state_dir() -> Path:
    """``state`` inside a checkout; elsewhere ``$XDG_STATE_HOME/fxbot``, else ``~/.local/state/fxbot``.

    An installed fxbot (pipx, a wheel) run from any folder must not scatter state folders wherever it was
    started; the XDG base-directory rule says where a user's state lives (a relative XDG_STATE_HOME is ignored).
    """
    if in_checkout():
        return Path("state")
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "fxbot"


#: The environment variable that overrides ``state_dir`` (systemd's StateDirectory=, a Docker volume).
STATE_DIR_ENV = "FXBOT_STATE_DIR"

"""fxbot-retrain.service's ExecStartPre: refuse (exit 2, one line) while the config's schedule.retrain_cron is set.

With fxbot-retrain.timer the daemon must not retrain as well: its retrain would run inside fxbot.service's
MemoryMax=400M, where TensorFlow's children thrash or are killed, at the same hour as this unit's. Run it by
hand after editing the config: `sudo -u fxbot FXBOT_CONFIG=/etc/fxbot/config.yaml
/opt/fxbot/.venv/bin/python /opt/fxbot/deploy/retrain-timer-check.py` prints nothing and exits 0 when all is well.
"""

from __future__ import annotations

import os
import sys

from fxbot.config import load_settings
from fxbot.errors import FxbotError


def main() -> int:
    try:
        cron = load_settings().schedule.retrain_cron
    except FxbotError as exc:
        print(f"fxbot-retrain: {exc}", file=sys.stderr)
        return 2
    if cron.strip():
        where = os.environ.get("FXBOT_CONFIG") or "the built-in defaults"
        print(
            f"fxbot-retrain: schedule.retrain_cron is {cron!r} in {where}, so the daemon retrains too (inside "
            'fxbot.service\'s MemoryMax); set schedule.retrain_cron: "" when fxbot-retrain.timer retrains',
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m fxbot.cli`: what the daemon, `fxbot retrain` and the page refresh start their children with."""

import sys

from fxbot.cli import main

sys.exit(main())

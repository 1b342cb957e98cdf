"""One exception tree for fxbot; the CLI maps each branch to an exit code.

    FxbotError                      exit 1 (anything not classified below)
    ├── ConfigError                 exit 2  bad config file, unknown key, wrong type, unknown pair
    │   └── UsageError              exit 2  a command-line argument that makes no sense
    ├── DataError                   exit 3  missing, invalid or stale price data
    │   ├── StaleDataError          exit 3  the last bar is older than the last trading day allows
    │   └── ProviderError           exit 3  a data provider answered badly or not at all
    ├── ModelError                  exit 3  missing, corrupt or incompatible model artifacts
    ├── LookAheadError              exit 3  a backtest call changed when recomputed with the data cut at
    │                                       its day: the walk-forward saw the future, its results are void
    ├── LedgerError                 exit 3  the ledger is damaged, read-only, or gone after use
    └── DeliveryError               exit 4  a notifier could not deliver (Slack errors, timeouts)
        ├── UnknownOutcomeError     exit 4  a post may or may not have arrived; its intent stays pending
        └── LeaseHeldError          exit 4  another live run is delivering the same day to the same place

Every message is one line that says what is wrong and how to fix it; secrets never appear in it
(``fxbot.redaction``).
"""

from __future__ import annotations


class FxbotError(Exception):
    """Base of every error fxbot raises on purpose."""

    exit_code = 1


class ConfigError(FxbotError):
    """The configuration (file, environment or arguments) is wrong."""

    exit_code = 2


class UsageError(ConfigError):
    """A command-line argument is wrong."""


class DataError(FxbotError):
    """Price data are missing, invalid or stale."""

    exit_code = 3


class StaleDataError(DataError):
    """The newest stored bar is older than the last completed trading day allows."""


class ProviderError(DataError):
    """A market-data provider failed or returned something unusable."""


class ModelError(FxbotError):
    """Model artifacts are missing, corrupt or of a format this version does not understand."""

    exit_code = 3


class LookAheadError(FxbotError):
    """A recomputed backtest call or member output differs from the walk-forward's: something saw the future."""

    exit_code = 3


class LedgerError(FxbotError):
    """The ledger (SQLite state) cannot be used: damaged, read-only, or missing after it was in use."""

    exit_code = 3


class DeliveryError(FxbotError):
    """A notifier could not deliver the report."""

    exit_code = 4


class UnknownOutcomeError(DeliveryError):
    """A post may or may not have reached Slack: the ledger keeps its intent pending for reconciling."""


class LeaseHeldError(DeliveryError):
    """Another live fxbot process holds the lease on delivering this day to this destination."""

"""Which data provider the settings and the environment select.

Kept free of HTTP libraries so the daily path can decide whether it needs them at all: with the
bundled provider nothing is fetched, and `requests` is never imported.
"""

from __future__ import annotations

from fxbot.config import DataSettings, Secrets


def provider_name(data: DataSettings, secrets: Secrets) -> tuple[str, str]:
    """The provider's name (oanda, yahoo, bundled) and why it was chosen.

    ``auto`` means oanda when OANDA_API_TOKEN is set, otherwise bundled; yahoo is never automatic.
    """
    if data.provider == "auto":
        if secrets.oanda_api_token is not None:
            return "oanda", "data.provider is auto and OANDA_API_TOKEN is set"
        return "bundled", "data.provider is auto and OANDA_API_TOKEN is not set"
    return data.provider, f"data.provider is {data.provider}"

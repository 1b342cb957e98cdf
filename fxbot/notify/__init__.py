"""Notifiers: deliver a Report (Slack, console); formatting lives beside them."""

"""Notifiers: deliver a Report (Slack, console) through one interface (``base``), managed exactly once
(``manager``); Slack's rendering is ``messages``, the console's ``console``, their words ``catalogue``."""

"""Test stand-ins shared by the tests and the benchmarks.

- ``slack_server``: a Slack Web API and webhook stand-in on 127.0.0.1.
- ``market_servers``: OANDA v20 and Yahoo chart stand-ins on 127.0.0.1.
- ``env``: ``clean_env()``, the environment a child process gets (no developer Slack, OANDA or fxbot settings).
"""

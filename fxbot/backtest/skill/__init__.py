"""Statistics that tell skill from drift: pure functions over numpy arrays, no I/O, no TensorFlow.

In a trending period any always-long rule beats 50 %, so every test here compares the vote with a
baseline on the *same* calls, or asks whether its direction carries timing information at all.
One module per family (import from the module; this package re-exports nothing):

- ``paired``: tests against always-buy: exact McNemar on the discordant calls, Pesaran-Timmermann
  (1992), and their HAC versions for overlapping targets;
- ``pooled``: pooled accuracy over the pairs with date-clustered standard errors (the yen crosses
  move together, so three calls on one day are not three independent observations); Holm's
  correction across a family of p-values;
- ``scores``: Brier and log-loss skill against climatology, and the Diebold-Mariano test of two loss series;
- ``sharpe``: the Sharpe ratio with its standard error under non-normal returns, the Deflated Sharpe
  Ratio, and Hansen's SPA test of the vote's P/L against benchmarks;
- ``periods``: a yearly sub-period table and a power statement;
- ``summary``: ``skill_summary``, which bundles the headline figures for one variant;
- ``arrays``: what they share (coercion, the hit rule, length checks, the normal tail).

Conventions (as in ``fxbot.backtest.stats``): a direction is +1 (BUY) or -1 (SELL); ``up`` is True
when the next close is strictly higher; a *hit* is a call whose direction matches ``up``; P/L is daily,
as a fraction of equity. Every one-sided p-value asks "is the vote better?" (``alternative="greater"``):
a higher hit rate, a lower loss, a higher P/L. Which library does what: scipy (binomial tests, normal
and t tails, moments), statsmodels (cluster-robust and HAC variances, Holm), arch (SPA bootstrap). The
Pesaran-Timmermann, Diebold-Mariano/HLN and Deflated Sharpe formulas are in none of them and are
written out in their modules from the papers cited in each docstring.
"""

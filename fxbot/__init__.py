"""fxbot: a daily FX signal bot (USD/JPY, EUR/JPY, GBP/JPY) driven by five-member LSTM ensembles."""

__version__ = "0.1.0"

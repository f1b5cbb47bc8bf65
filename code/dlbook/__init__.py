"""Shared code of the executable deep-learning book: data, models, training, probes and plots."""

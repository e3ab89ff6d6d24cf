"""Offline evaluation and training programs for the router's classifiers (not part of the installed package)."""

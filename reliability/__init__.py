"""Reliability programs: the soak (``python -m reliability.soak``) and its audits."""

"""langchain-aws's own integration tests (Converse chat models and embeddings) run against the emulator.

    python -m evals.langchain_aws_parity [--sdist DIR] [-k EXPR] [--show N]

See :mod:`evals.langchain_aws_parity.__main__` for the protocol.
"""

"""Benchmarks behind ``make bench`` (``python -m benchmarks``): hit path, semantic scale, router overhead,
throughput, workload savings, embedded vs Redis caches, emulator throughput. Results: ``benchmarks/results/``."""

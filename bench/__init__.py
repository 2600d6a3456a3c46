"""Benchmarks of ypsi-bot (issue 7): `make bench` or `python -m bench [names…]`.

Every timing is set beside a baseline measured in the same run, because the machines this
runs on are shared and noisy: the ratio is what the targets are about, the absolute figure
is there for context. Each benchmark is one module with `run() -> list[Row]`.
"""

"""Benchmarks of the engine: the speed, memory and accuracy figures of docs/benchmarks.md.

Each module runs as `python -m benchmarks.<name>` from the repository root and prints its
figures with the machine's load; the app and the engine never import them.
"""

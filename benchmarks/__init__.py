"""Benchmarks of the engine: speed, memory and accuracy figures for the README.

Each module runs as `python -m benchmarks.<name>` from the repository root and prints its
figures with the machine's load; the app and the engine never import them.
"""

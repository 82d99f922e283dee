"""`python -m benchmarks [--json]`: see benchmarks/serve.py."""

from benchmarks.serve import main

main()

"""The tooling of the template's suite and bench: bakes, the project model, readers, servers, runtimes.

`tests/` and `bench/` import it; it imports neither. Each reader has its unit tests in harness/tests.
"""

"""Tooling for tests and benchmarks (like `haystack.testing`): nothing here runs in the application itself."""

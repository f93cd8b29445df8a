"""Registers the suite's fixtures; the tooling they use lives in the harness package."""

pytest_plugins = ["fixtures.bakes", "fixtures.api", "fixtures.projects", "fixtures.services"]

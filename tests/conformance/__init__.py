"""The conformance suite: documented behaviours of Managed Agents, run against the stub and (pytest -m live) live."""

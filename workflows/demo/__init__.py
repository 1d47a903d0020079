"""The offline demo: its sample project and its session."""

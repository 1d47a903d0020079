"""What tests share: fixtures (via pytest_plugins), one helper per job."""

"""The `pgwarden` command groups, one module each."""

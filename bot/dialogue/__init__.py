"""Dialogue policies (named by module path in config.yml) and the history they read."""

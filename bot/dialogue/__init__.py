"""Dialogue policies (named by module path in config.yml) and the history they read: the
continued Rule/Memoization policies and the holding policy for a customer waiting for a person."""

"""Dialogue policies of our own, loaded by module path from config.yml."""

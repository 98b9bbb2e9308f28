"""Directory: people, the department tree, positions, roles and groups."""

"""Identity: users and roles, passwords, second factor, sessions and API tokens."""

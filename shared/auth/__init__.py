"""Accounts, roles, login and bearer tokens shared by every service under one origin."""

"""Workbench: the home page with the apps a person may use, their to-dos and notifications."""

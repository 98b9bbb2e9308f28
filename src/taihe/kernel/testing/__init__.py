"""Test helpers shared by every module's tests: event capture, the four-actor matrix."""

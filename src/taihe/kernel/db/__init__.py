"""Base models and engine adapters. Only this package knows which database engine runs."""

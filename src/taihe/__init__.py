"""Taihe: a self-hosted digital workplace for museums and cultural-heritage institutions."""

"""Pydantic types shared by every package, and the pure lifecycle rules of a booking."""

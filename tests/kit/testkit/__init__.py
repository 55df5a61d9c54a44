"""Bookflow's test kit: loopback emulators of every provider and the stack helpers tests and benches share.

Everything here serves or drives the product from outside; nothing here ships with it. Every HTTP emulator
and receiver is a ``testkit.server.LocalServer``: ``start()``, ``url``, ``stop()``.
"""

"""Process entry points and composition: the `bookflow` CLI, settings, Temporal wiring, the dev stack."""

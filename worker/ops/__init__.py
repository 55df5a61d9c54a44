"""Operations for the engineer on call: find failed work, explain it, retry, reset, replay, check health.

The CLI (`bookflow ops …`, worker/cli/ops_cmd.py) only parses options and prints; the logic is here.
"""

"""Wix's side: the Data Mover REST client, and what keeps many callers from becoming many
requests (shared answers, poll loops, the rate budget). Knows nothing of MCP."""

"""The agency digest: each agency person's Monday-morning email of the clients needing attention."""

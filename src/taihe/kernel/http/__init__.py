"""HTTP plumbing: session and token auth, the error envelope, pagination, rate limits."""

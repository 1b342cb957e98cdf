"""Price data: the validated bar store, broker-file import, and live providers."""

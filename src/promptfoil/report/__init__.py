"""Report stage: terminal (rich) and JSON renderings of an :class:`Explanation`."""

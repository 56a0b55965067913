"""Report stage: terminal (rich) and JSON renderings of an :class:`Explanation`; the HTML report with its trace explorer."""

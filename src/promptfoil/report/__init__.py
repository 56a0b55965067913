"""Report stage: renders explanations for people: terminal (rich), SVG, self-contained HTML.
Owns nothing a search needs; it reads Explanation records only."""

"""Report stage: renders explanations for people: terminal (rich), SVG, and a self-contained
HTML report with a trace explorer. Owns nothing a search needs; it reads Explanation records only."""

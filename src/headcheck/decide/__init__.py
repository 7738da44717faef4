"""How a pair is decided: its features, the corpus evidence, the decisions."""

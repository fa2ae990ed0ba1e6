"""Console mode: the slash commands at a terminal prompt, rendered as text."""

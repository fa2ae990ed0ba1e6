"""Command-line handlers. Each takes the built App, the parsed arguments and an output stream."""

"""The command layer: what /lookup, /article, /regions, /actors, /feed and /status do, written once.

Commands return frozen view records; `bot/discord/` and `bot/console/` only render them.
"""

"""One cog per command family; each module ends with `async def setup(bot)`."""

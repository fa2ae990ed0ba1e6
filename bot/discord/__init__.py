"""The Discord side: a discord.py client, one cog per command family, embed rendering."""

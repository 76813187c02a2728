"""Domain rules that need no Telegram: parsing, rendering, permissions."""

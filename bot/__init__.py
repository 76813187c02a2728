"""The Solidarity Community Telegram bot."""

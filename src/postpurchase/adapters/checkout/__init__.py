"""Checkout's adapters: the default engine (the rules layer) and the holiday calendars."""

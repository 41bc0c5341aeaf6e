"""Delivery dates at checkout: the merchant's cut-off and handling settings, the shopper's
question (where, what, how fast) and the countdown to the next cut-off. Pure: the engine
that turns a question into dates is a port of the service layer."""

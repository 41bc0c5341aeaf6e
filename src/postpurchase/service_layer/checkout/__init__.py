"""Delivery dates at checkout: publishable keys, the merchant's checkout settings, and the
estimate a storefront shows (through the :class:`~.ports.CheckoutEngine` port)."""

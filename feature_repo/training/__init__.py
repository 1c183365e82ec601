"""Training models on the store's point-in-time training sets (``delivery-fs train``)."""

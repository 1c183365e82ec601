"""Fresh features: orders pushed as they happen reach the online store (the user's order ledger,
``user_order_stats`` and the order's ``transaction_features``) and the offline data.

``orders``: parsing and checking pushed orders; ``results``: what happened to each; ``apply``:
orders applied to ledgers (pure); ``online_writes``: rows written in Feast's layout;
``offline_append``: the pushed-orders dataset the batch pipeline reads; ``service``: the whole push.
"""

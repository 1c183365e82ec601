"""The lookup library: online features of a feature service in one round trip, the churn and
checkout scores computed from them, and the served-feature log."""

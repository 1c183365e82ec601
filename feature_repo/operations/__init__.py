"""What operators run against a built store: status, skew-check, the first online load, the demo's lookups."""

"""What serving code imports: typed online lookups that see features the way training data does."""

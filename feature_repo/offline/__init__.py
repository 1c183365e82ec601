"""Offline stores of the profiles that Feast does not ship in a form that works here."""

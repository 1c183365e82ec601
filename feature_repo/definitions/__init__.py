"""Feast objects only: what `feast apply` reads. Each module reads like a catalogue."""

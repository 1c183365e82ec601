"""The repository as Feast sees it: opening the store, the data horizon, view versions, the catalogue and who may read what."""

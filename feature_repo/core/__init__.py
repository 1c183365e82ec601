"""Plain helpers and declarations every area uses: errors, paths, profiles, instants, atomic files, the raw format, the feature tables, Feast's internals."""

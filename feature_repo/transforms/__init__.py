"""Pure, typed transformations: frames or arrays in, frames or arrays out, no I/O.

The batch pipeline, the on-demand feature views and the tests call the same functions.
"""

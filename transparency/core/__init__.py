"""The foundation every stage stands on: errors, periods, the dataset registry, the agency configuration,
hashing, keys, number formats, text normalisation and the build's cache keys.

May import: nothing else of this package (only ``transparency.__version__``).
"""

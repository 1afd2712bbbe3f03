"""Review, release and the public index: a built draft reviewed, released as a frozen signed version,
corrected, verified, and listed on the public index.

May import: every stage below it (core to building).
"""

"""What the area notebooks import: comparisons, sentences, charts and the ``present`` functions that
display them, built on the method and number writing of :mod:`peel.method` and :mod:`peel.numbers`.
The execution cache key is the hash of this package, ``peel.inputs`` and the shared top-level modules.
"""

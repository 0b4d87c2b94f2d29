"""What the area notebooks import: the method, numbers, comparisons, sentences, charts and the
``present`` functions that display them. The execution cache key is the hash of this package,
``peel.inputs`` and the shared top-level modules.
"""

"""Models that can forget: SISA training over shards chosen from the person alone.

``encoding`` turns rows into features without fitting anything on them, ``sharding`` places each
person by a keyed hash, ``learners`` holds the algorithms (one per file, registry ``bulle.learners``),
``sisa`` trains one model per shard and averages their probabilities. ``audit/`` measures what a
trained model gives away (membership inference) before it is released.
"""

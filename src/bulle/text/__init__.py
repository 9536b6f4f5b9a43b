"""De-identification of French text: detection of personal data and its replacement.

Heavy libraries (spaCy, Presidio) are imported only when a detector is first used, so importing
this package costs nothing; the model is loaded once per process (see ``nlp.py``).
"""

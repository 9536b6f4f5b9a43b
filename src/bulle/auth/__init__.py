"""The cryptography of sign-in, kept apart from the use cases: password hashing (Argon2id), time-
based one-time codes (RFC 6238) and the random credentials (session ids, API tokens) whose hashes
the catalog keeps. Pure functions and small values; ``bulle.services.accounts``, ``auth`` and
``tokens`` do the I/O and the audit."""

"""Conformance runs over public test suites (NIST PKITS)."""

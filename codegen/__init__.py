"""Generators driven by specs/: the name index, help HTML, the docs site, typed stubs."""

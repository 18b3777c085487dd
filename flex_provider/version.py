"""The project's version, in one place: the package, the User-Agent and pyproject.toml read it here."""

__version__ = "0.1.0"

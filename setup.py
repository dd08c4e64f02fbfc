"""The one thing pyproject.toml cannot yet say without an experimental table: the C part.

SQLite's side of the hash chain (``zhian.core._hashchain_sqlite``, which zhian.core.db loads
into every SQLite connection) is built where a C compiler and SQLite's and OpenSSL's headers
are at hand (scripts/setup.sh brings them). It is optional: without it the same checks run
in Python, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "zhian.core._hashchain_sqlite",
            sources=["src/zhian/core/_hashchain_sqlite.c"],
            libraries=["crypto", "m"],
            optional=True,
        )
    ]
)

"""``python -m zhian`` is the ``zhian`` command."""

from zhian.cli import main

main()

import sys

from vipmg_core import launch


def _main() -> int:
    # `serve` and `test` need only the standard library: they run on a fresh Python, before the packages the CLI
    # imports are installed (`--install` installs them).
    if sys.argv[1:2] and sys.argv[1] in launch.COMMANDS:
        return launch.main(sys.argv[1:])
    from vipmg_core.cli import main

    return main()


sys.exit(_main())

from scalelint.cli import run

run()

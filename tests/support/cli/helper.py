"""Imported by probe.py from its own folder (the script's folder is first on sys.path)."""
WHERE = "tests/support/cli/helper.py"

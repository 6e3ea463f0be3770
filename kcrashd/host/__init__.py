"""The only code that reads host files or runs commands.

root.py maps a host path to where it is read (the live host, or a fixture or image tree);
runner.py runs commands (argv only, always a timeout, LC_ALL=C) or replays recorded
outputs; every other module pairs a reader with a pure parser for one kernel file family.

May import model only.
"""

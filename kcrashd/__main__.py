from kcrashd.cli import console

console()

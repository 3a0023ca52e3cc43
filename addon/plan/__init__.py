"""The pure core: plain values and a date in, plain values out. See README.md beside this file."""

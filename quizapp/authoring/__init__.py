"""Helping authors write question banks: turning a learning briefing into a draft bank.

Pure Python with no Flask import, so the conversion can be used from the authoring pages,
the command line and unit tests alike.
"""

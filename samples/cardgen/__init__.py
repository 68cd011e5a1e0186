"""Synthetic US health insurance card generator for card_reader's samples and tests.

content: payers and the values printed on a card; render: the flat card sides; photo: turning a flat
side into an uploaded file (scan, screenshot, phone photo); typed: the client's portal form with
realistic harmless variations and mistakes. Everything is invented: no real people.
"""

"""Turning executed notebooks into a report: stitching (HTML), the PDF and the index page.
"""

"""The parsing layer of the catalog import: files → rows → clean field values.

Nothing here touches the database. ``readers.read_rows`` streams rows from CSV, XLSX or JSON
Lines; ``fields.map_row`` turns one row into object-record values through a column mapping,
using ``dates``, ``dimensions`` and ``materials`` for the free-text fields.
"""

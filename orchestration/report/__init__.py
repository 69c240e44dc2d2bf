"""The journey map page: one self-contained HTML file built from the published marts.

``builder.write_report(published, output)`` reads the marts (read-only), embeds the extract,
the chart specifications (Altair) and the Vega libraries (vl-convert's bundle) into
``template.html`` and writes the file atomically. The page needs no network when opened.
Nothing is imported here, so that loading the code location does not import Altair.
"""

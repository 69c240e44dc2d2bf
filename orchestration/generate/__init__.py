"""Synthetic exports in the real source formats (Qualtrics, Salesforce, GA4) with truth.json.

`generate_exports(out_dir, customers, days, seed, start_date)` is what `cjm generate` runs.
"""

from orchestration.generate.exports import generate_exports

__all__ = ["generate_exports"]

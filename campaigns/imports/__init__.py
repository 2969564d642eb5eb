"""CSV (and XLSX) imports of every kind of ``docs/imports.md``, validated whole before writing."""

"""CSV (and XLSX) imports of every kind of ``shared/spec/imports.md``, validated whole before writing."""

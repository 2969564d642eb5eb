"""The demo agency of ``make demo`` (``manage.py demo_seed``): its client accounts, people and a year
of data in every app. Above every app, since it fills them all; no tables of its own."""

"""The distributed backend's database: PostgreSQL through psycopg 3 (the only package
importing psycopg). ``connection`` adapts a psycopg connection to the code's
``Connection``, ``dialect`` translates the code's SQLite spelling, ``schema`` holds and
applies the PostgreSQL schema."""

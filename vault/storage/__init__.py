"""Storage: driver, database, group-commit writer, migrations, blobs, data directory, backups."""

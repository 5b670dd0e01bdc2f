//! The database format version, kept in the `meta` table and checked on open: a database from
//! a newer sgsched is refused before anything reads it; an older one is upgraded in one
//! transaction. Format 0 is a database without `meta` (local jobs only, written before
//! schedules existed): upgrading it creates the scheduling tables.

use redb::{Database, ReadableDatabase, TableDefinition, TableError};

use super::{StoreError, local_jobs, tables};

pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const FORMAT_KEY: &str = "format_version";

/// The database format this build writes and the newest it reads.
pub const DB_FORMAT: u64 = 1;

/// The stored format (0 when there is no `meta` table).
pub fn stored_format(db: &Database) -> Result<u64, StoreError> {
    let tx = db.begin_read()?;
    let meta = match tx.open_table(META) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    Ok(meta.get(FORMAT_KEY)?.map(|v| v.value()).unwrap_or(0))
}

/// Refuse a newer database; bring an older one (or a new file) to `DB_FORMAT`.
pub fn check_and_upgrade(db: &Database) -> Result<(), StoreError> {
    let found = stored_format(db)?;
    if found > DB_FORMAT {
        return Err(StoreError::DatabaseTooNew {
            found,
            supported: DB_FORMAT,
        });
    }
    let tx = db.begin_write()?;
    // Creating tables that exist is a no-op, so every open also repairs a missing one.
    local_jobs::init(&tx)?;
    tables::init(&tx)?;
    super::feeds::init(&tx)?;
    if found < DB_FORMAT {
        tx.open_table(META)?.insert(FORMAT_KEY, DB_FORMAT)?;
        if found > 0 {
            tracing::info!(from = found, to = DB_FORMAT, "upgraded the database format");
        }
    }
    tx.commit()?;
    Ok(())
}

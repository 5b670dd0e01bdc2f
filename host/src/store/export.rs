//! Everything a store holds, read out whole and written into another backend: how `sgsched
//! migrate` moves an embedded install to PostgreSQL. Counts are compared after the copy.

use redb::ReadableTable;

use super::codec::decode;
use super::local_jobs::JOBS;
use super::postgres::PgStore;
use super::storage::{Feeds, Tokens, WriteSet, Writes};
use super::tables::{EXECUTIONS, SCHEDULES, SERIES, TOKENS};
use super::{Store, StoreError};
use crate::model::{Execution, Feed, LocalJobRecord, Schedule, Series, UserId};

/// How many of each kind of record a store holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub schedules: u64,
    pub executions: u64,
    pub series: u64,
    pub tokens: u64,
    pub jobs: u64,
    pub feeds: u64,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        *self == Counts::default()
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} schedules, {} executions, {} series, {} tokens, {} jobs, {} feeds",
            self.schedules, self.executions, self.series, self.tokens, self.jobs, self.feeds
        )
    }
}

/// Every record of a store.
#[derive(Debug, Default)]
pub struct Contents {
    pub schedules: Vec<Schedule>,
    pub executions: Vec<Execution>,
    pub series: Vec<Series>,
    pub tokens: Vec<([u8; 32], UserId)>,
    pub jobs: Vec<LocalJobRecord>,
    pub feeds: Vec<Feed>,
}

impl Contents {
    pub fn counts(&self) -> Counts {
        Counts {
            schedules: self.schedules.len() as u64,
            executions: self.executions.len() as u64,
            series: self.series.len() as u64,
            tokens: self.tokens.len() as u64,
            jobs: self.jobs.len() as u64,
            feeds: self.feeds.len() as u64,
        }
    }
}

fn all<T: serde::de::DeserializeOwned>(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (_, v) = entry?;
        out.push(decode(v.value())?);
    }
    Ok(out)
}

impl Store {
    /// Every record, read in one transaction (a consistent copy).
    pub async fn export(&self) -> Result<Contents, StoreError> {
        self.blocking(|db| {
            use redb::ReadableDatabase;
            let tx = db.begin_read()?;
            let mut tokens = Vec::new();
            for entry in tx.open_table(TOKENS)?.iter()? {
                let (k, v) = entry?;
                let hash: [u8; 32] = k
                    .value()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("a token key is not 32 bytes".into()))?;
                let user = uuid::Uuid::from_slice(v.value())
                    .map_err(|e| StoreError::Corrupt(format!("a token's user: {e}")))?;
                tokens.push((hash, user));
            }
            let mut jobs = Vec::new();
            for entry in tx.open_table(JOBS)?.iter()? {
                let (_, v) = entry?;
                jobs.push(decode(v.value())?);
            }
            Ok(Contents {
                schedules: all(&tx.open_table(SCHEDULES)?)?,
                executions: all(&tx.open_table(EXECUTIONS)?)?,
                series: all(&tx.open_table(SERIES)?)?,
                tokens,
                jobs,
                feeds: super::feeds::all(&tx)?,
            })
        })
        .await
    }
}

/// Records per transaction of an import: large enough to be quick, small enough that one
/// statement's JSON stays a few megabytes.
const CHUNK: usize = 1000;

impl PgStore {
    /// How many records of each kind the database holds.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM schedules), (SELECT count(*) FROM executions), \
                 (SELECT count(*) FROM series), (SELECT count(*) FROM tokens), \
                 (SELECT count(*) FROM local_jobs), (SELECT count(*) FROM feeds)",
                &[],
            )
            .await
            .map_err(super::postgres::pg_err)?;
        let n = |i: usize| row.get::<_, i64>(i) as u64;
        Ok(Counts {
            schedules: n(0),
            executions: n(1),
            series: n(2),
            tokens: n(3),
            jobs: n(4),
            feeds: n(5),
        })
    }

    /// Write every record of `c`, in chunks.
    pub async fn import(&self, c: Contents) -> Result<(), StoreError> {
        let mut sets = Vec::new();
        chunked(&mut sets, c.schedules, |w, v| w.put_schedules = v);
        chunked(&mut sets, c.executions, |w, v| w.put_executions = v);
        chunked(&mut sets, c.series, |w, v| w.put_series = v);
        chunked(&mut sets, c.jobs, |w, v| w.put_local_jobs = v);
        for writes in sets {
            self.put(writes).await?;
        }
        for (hash, user) in c.tokens {
            self.put_token(hash, user).await?;
        }
        for feed in c.feeds {
            self.put_feed(feed).await?;
        }
        Ok(())
    }
}

/// One write set per `CHUNK` of `records`, each made by `fill`.
fn chunked<T: Clone>(
    sets: &mut Vec<WriteSet>,
    records: Vec<T>,
    fill: impl Fn(&mut WriteSet, Vec<T>),
) {
    for chunk in records.chunks(CHUNK) {
        let mut w = WriteSet::default();
        fill(&mut w, chunk.to_vec());
        sets.push(w);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("no sgsched database in {0}")]
    NoSource(String),
    #[error(
        "the target database is not empty ({0}): sgsched migrate copies into an empty one only"
    )]
    NotEmpty(Counts),
    #[error("the copy does not match: the source holds {source_counts}, the target {target}")]
    Mismatch {
        source_counts: Counts,
        target: Counts,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copy the embedded database of `data_dir` into the empty PostgreSQL database at `url`,
/// and check the counts. The source is opened (and so locked) for the whole copy: no server
/// may run on it meanwhile.
pub async fn migrate(data_dir: &std::path::Path, url: &str) -> Result<Counts, MigrateError> {
    let path = data_dir.join(super::DB_FILE);
    if !path.exists() {
        return Err(MigrateError::NoSource(data_dir.display().to_string()));
    }
    let source = Store::open(&path)?;
    let target = PgStore::open(url, Default::default()).await?;
    let before = target.counts().await?;
    if !before.is_empty() {
        return Err(MigrateError::NotEmpty(before));
    }
    let contents = source.export().await?;
    let expected = contents.counts();
    target.import(contents).await?;
    let copied = target.counts().await?;
    if copied != expected {
        return Err(MigrateError::Mismatch {
            source_counts: expected,
            target: copied,
        });
    }
    Ok(copied)
}

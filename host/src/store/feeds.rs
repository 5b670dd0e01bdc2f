//! Calendar feeds in redb: the records by id, and two indexes, the secret's hash to the id
//! (how a calendar app's request finds its feed) and the user to their feeds. Feeds change
//! rarely, so they are written in a transaction of their own rather than through the writer's
//! group commit (redb runs write transactions one at a time, so the two never interleave).

use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use super::codec::{decode, encode};
use super::storage::Feeds;
use super::tables::{Index, Records};
use super::{Store, StoreError};
use crate::model::{Feed, FeedId, UserId};

pub const FEEDS: Records = TableDefinition::new("feeds");
/// SHA-256 (hex) of a feed URL's secret -> the feed's id.
pub const FEEDS_BY_SECRET: TableDefinition<'static, &'static str, &'static [u8]> =
    TableDefinition::new("feeds_by_secret");
/// user id ++ feed id.
pub const FEEDS_BY_USER: Index = TableDefinition::new("feeds_by_user");

fn user_key(user: UserId, id: FeedId) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(user.as_bytes());
    k[16..].copy_from_slice(id.as_bytes());
    k
}

pub fn init(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(FEEDS)?;
    tx.open_table(FEEDS_BY_SECRET)?;
    tx.open_table(FEEDS_BY_USER)?;
    Ok(())
}

/// Every feed, for `migrate`.
pub fn all(tx: &redb::ReadTransaction) -> Result<Vec<Feed>, StoreError> {
    let mut out = Vec::new();
    for entry in tx.open_table(FEEDS)?.iter()? {
        out.push(decode(entry?.1.value())?);
    }
    Ok(out)
}

#[async_trait::async_trait]
impl Feeds for Store {
    async fn put_feed(&self, feed: Feed) -> Result<(), StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_write()?;
            {
                tx.open_table(FEEDS)?
                    .insert(feed.id.as_bytes().as_slice(), encode(&feed).as_slice())?;
                tx.open_table(FEEDS_BY_SECRET)?
                    .insert(feed.secret_sha256.as_str(), feed.id.as_bytes().as_slice())?;
                tx.open_table(FEEDS_BY_USER)?
                    .insert(user_key(feed.user_id, feed.id).as_slice(), ())?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn feed_by_secret(&self, secret_sha256: String) -> Result<Option<Feed>, StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_read()?;
            let Some(id) = tx
                .open_table(FEEDS_BY_SECRET)?
                .get(secret_sha256.as_str())?
                .map(|v| v.value().to_vec())
            else {
                return Ok(None);
            };
            match tx.open_table(FEEDS)?.get(id.as_slice())? {
                Some(v) => decode(v.value()).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn feeds_of(&self, user: UserId) -> Result<Vec<Feed>, StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_read()?;
            let index = tx.open_table(FEEDS_BY_USER)?;
            let records = tx.open_table(FEEDS)?;
            let lo = user_key(user, uuid::Uuid::nil());
            let hi = user_key(user, uuid::Uuid::max());
            let mut out = Vec::new();
            for entry in index.range(lo.as_slice()..=hi.as_slice())? {
                let key = entry?.0.value().to_vec();
                if let Some(v) = records.get(&key[16..])? {
                    out.push(decode(v.value())?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete_feed(&self, user: UserId, id: FeedId) -> Result<bool, StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_write()?;
            let found = {
                let mut records = tx.open_table(FEEDS)?;
                let feed: Option<Feed> = match records.get(id.as_bytes().as_slice())? {
                    Some(v) => Some(decode(v.value())?),
                    None => None,
                };
                match feed.filter(|f| f.user_id == user) {
                    Some(feed) => {
                        records.remove(id.as_bytes().as_slice())?;
                        tx.open_table(FEEDS_BY_SECRET)?
                            .remove(feed.secret_sha256.as_str())?;
                        tx.open_table(FEEDS_BY_USER)?
                            .remove(user_key(user, id).as_slice())?;
                        true
                    }
                    None => false,
                }
            };
            tx.commit()?;
            Ok(found)
        })
        .await
    }
}

//! Decoded schedules kept beside the stored bytes they came from. Parsing a record's JSON is
//! most of a point read's CPU and of a calendar page's (about 4 µs a schedule); a read that
//! finds the same bytes as last time shares the decoded record instead.
//! Entries are checked by comparing bytes, so the cache can only ever return what is stored:
//! nothing needs invalidating when the writer changes a record. Bounded: emptied when full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use redb::ReadableTable;
use uuid::Uuid;

use super::StoreError;
use super::codec::decode;
use crate::model::Schedule;

/// Schedules kept, at most (a few KiB each with their bytes).
const CAPACITY: usize = 20_000;

/// A schedule's stored bytes and what they decode to.
type Kept = (Box<[u8]>, Arc<Schedule>);

#[derive(Default)]
pub struct DecodedSchedules {
    map: Mutex<HashMap<Uuid, Kept>>,
}

impl DecodedSchedules {
    /// The schedule with `id` in the schedules table.
    pub fn get<R>(&self, table: &R, id: Uuid) -> Result<Option<Arc<Schedule>>, StoreError>
    where
        R: ReadableTable<&'static [u8], &'static [u8]>,
    {
        let Some(bytes) = table.get(id.as_bytes().as_slice())? else {
            return Ok(None);
        };
        let bytes = bytes.value();
        {
            let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((kept, s)) = map.get(&id)
                && **kept == *bytes
            {
                return Ok(Some(s.clone()));
            }
        }
        let s: Arc<Schedule> = Arc::new(decode(bytes)?);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(id, (bytes.into(), s.clone()));
        Ok(Some(s))
    }
}

//! Rendered calendars, kept per (user, query) together with the user's data version they were
//! computed at (`Storage::data_version`). A calendar is a pure function of the user's stored
//! schedules and executions and the query (planned runs start at the stored `next_run_at`, not
//! at the clock), so an entry is served only while that version is unchanged: any committed
//! write to the user's schedules or executions, the executor's included, retires it.
//!
//! Bounded by entries and bytes; the oldest entries go first. A calendar UI asks for the same
//! month again and again (every view, every tab, every refresh), and one computation costs
//! milliseconds of CPU for a thousand schedules.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use bytes::Bytes;

use crate::calendar::CalendarQuery;
use crate::model::UserId;

const MAX_ENTRIES: usize = 1024;
const MAX_BYTES: usize = 32 << 20;
/// A body larger than this (a day view listing thousands of runs) is not kept.
const MAX_ENTRY_BYTES: usize = 2 << 20;

type Key = (UserId, CalendarQuery);

pub struct CalendarCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Key, (u64, Bytes)>,
    /// Keys in insertion order, each once.
    order: VecDeque<Key>,
    bytes: usize,
}

impl Default for CalendarCache {
    fn default() -> Self {
        Self::with_limits(MAX_ENTRIES, MAX_BYTES)
    }
}

impl CalendarCache {
    fn with_limits(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            inner: Mutex::default(),
            max_entries,
            max_bytes,
        }
    }

    /// The body computed for `key` at `version`, if that is what is kept.
    pub fn get(&self, key: &Key, version: u64) -> Option<Bytes> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.map.get(key) {
            Some((v, body)) if *v == version => Some(body.clone()),
            _ => None,
        }
    }

    /// Keep `body`, computed from reads made after `version` was read.
    pub fn put(&self, key: Key, version: u64, body: Bytes) {
        if body.len() > MAX_ENTRY_BYTES.min(self.max_bytes) {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *inner;
        let added = body.len();
        match inner.map.get_mut(&key) {
            // A request that read an older version finished last: keep the newer body.
            Some((v, _)) if *v > version => return,
            Some((v, old)) => {
                inner.bytes = inner.bytes - old.len() + added;
                (*v, *old) = (version, body);
            }
            None => {
                inner.order.push_back(key.clone());
                inner.map.insert(key, (version, body));
                inner.bytes += added;
            }
        }
        while inner.map.len() > self.max_entries || inner.bytes > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, body)) = inner.map.remove(&oldest) {
                inner.bytes -= body.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::calendar::GroupBy;

    fn key(user: u128, day: u32) -> Key {
        let date = NaiveDate::from_ymd_opt(2027, 1, day).unwrap();
        let query = CalendarQuery {
            start: date,
            end: date,
            tz: chrono_tz::Europe::Berlin,
            group_by: GroupBy::Month,
            include_completed: false,
            include_cancelled: false,
            job_type: None,
        };
        (UserId::from_u128(user), query)
    }

    #[test]
    fn an_entry_is_served_only_at_its_version() {
        let cache = CalendarCache::default();
        cache.put(key(1, 1), 7, Bytes::from_static(b"seven"));
        assert_eq!(cache.get(&key(1, 1), 7).as_deref(), Some(&b"seven"[..]));
        assert_eq!(cache.get(&key(1, 1), 8), None);
        assert_eq!(cache.get(&key(2, 1), 7), None, "another user");
        assert_eq!(cache.get(&key(1, 2), 7), None, "another query");
        cache.put(key(1, 1), 8, Bytes::from_static(b"eight"));
        assert_eq!(cache.get(&key(1, 1), 8).as_deref(), Some(&b"eight"[..]));
        // A slower request that computed at the older version does not overwrite it.
        cache.put(key(1, 1), 7, Bytes::from_static(b"seven"));
        assert_eq!(cache.get(&key(1, 1), 8).as_deref(), Some(&b"eight"[..]));
    }

    #[test]
    fn the_oldest_entries_go_past_either_bound() {
        let cache = CalendarCache::with_limits(3, 10);
        for day in 1..=4 {
            cache.put(key(1, day), 0, Bytes::from_static(b"ab"));
        }
        let kept: Vec<u32> = (1..=4)
            .filter(|d| cache.get(&key(1, *d), 0).is_some())
            .collect();
        assert_eq!(kept, [2, 3, 4]);
        // 3 entries of 2 bytes and one of 6 make 12 bytes: the oldest goes.
        cache.put(key(1, 5), 0, Bytes::from_static(b"abcdef"));
        let kept: Vec<u32> = (1..=5)
            .filter(|d| cache.get(&key(1, *d), 0).is_some())
            .collect();
        assert_eq!(kept, [3, 4, 5]);
        let inner = cache.inner.lock().unwrap();
        assert_eq!(
            (inner.map.len(), inner.order.len(), inner.bytes),
            (3, 3, 10)
        );
        drop(inner);
        cache.put(key(1, 6), 0, Bytes::from_static(b"far too long"));
        assert_eq!(
            cache.get(&key(1, 6), 0),
            None,
            "larger than the whole cache"
        );
    }
}

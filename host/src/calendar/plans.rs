//! What a calendar keeps between requests besides rendered bodies: each schedule's compiled
//! timing, and each user's whole list of schedules with their timings.
//!
//! - A timing (compiling was a tenth of a computed month of 1,000 schedules) is used only
//!   while the store still hands out the very decoded record it was compiled from (the same
//!   `Arc`, see `store::decoded`): a changed record decodes to a new `Arc`, so a stale timing
//!   is never used and nothing needs invalidating. The entry holds its record, so the
//!   address cannot be reused while it is kept.
//! - A user's list (reading 1,000 records from the B-tree was a third of a computed month),
//!   with when each schedule's executions were scheduled (so a window that meets none of its
//!   history reads no runs), is kept under the user's data version read before the list was,
//!   like a rendered
//!   calendar (`api::calendar_cache`): any later write to the user's schedules moves the
//!   version, and the list is then read again. So a calendar over another window, zone or
//!   view of unchanged data starts from memory.
//!
//! Both are bounded and emptied when full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::planned::Compiled;
use crate::model::{Schedule, ScheduleId, UserId};
use crate::recurrence::HolidayCalendars;
use crate::store::RunExtent;

/// Schedules whose timing is kept, at most.
const CAPACITY: usize = 20_000;
/// Schedules kept in users' lists, at most, over all users.
const LISTED_CAPACITY: usize = 50_000;

/// A schedule's compiled timing, or `None` when its rule no longer compiles (it then plans
/// nothing).
pub type Plan = Option<Arc<Compiled>>;

/// One of a user's schedules as a calendar needs it.
#[derive(Clone)]
pub struct Listed {
    pub schedule: Arc<Schedule>,
    pub plan: Plan,
    /// When its executions were scheduled, the first and the last (`None`: it has none).
    pub runs: RunExtent,
}

/// A user's schedules in id order.
pub type UserList = Arc<[Listed]>;

#[derive(Default)]
pub struct Plans {
    map: Mutex<HashMap<ScheduleId, (Arc<Schedule>, Plan)>>,
    users: Mutex<Users>,
}

#[derive(Default)]
struct Users {
    lists: HashMap<UserId, (u64, UserList)>,
    listed: usize,
}

impl Plans {
    /// `user`'s list, if kept at `version`.
    pub fn user_list(&self, user: UserId, version: u64) -> Option<UserList> {
        let users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        match users.lists.get(&user) {
            Some((v, list)) if *v == version => Some(list.clone()),
            _ => None,
        }
    }

    /// Keep `list`, read after `version` was.
    pub fn keep_user_list(&self, user: UserId, version: u64, list: UserList) {
        if list.len() > LISTED_CAPACITY / 4 {
            return;
        }
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if users.listed + list.len() > LISTED_CAPACITY {
            users.lists.clear();
            users.listed = 0;
        }
        users.listed += list.len();
        if let Some((_, old)) = users.lists.insert(user, (version, list)) {
            users.listed -= old.len();
        }
    }

    /// The timing of each of `schedules`, in order. Compiles what is not kept outside the
    /// lock, so a page of new rules does not hold up other requests. The holiday calendars
    /// are the process's, fixed at start, so they are not part of the key.
    pub fn of(&self, schedules: &[Arc<Schedule>], calendars: &HolidayCalendars) -> Vec<Plan> {
        let mut out: Vec<Option<Plan>> = {
            let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            schedules
                .iter()
                .map(|s| match map.get(&s.id) {
                    Some((kept, plan)) if Arc::ptr_eq(kept, s) => Some(plan.clone()),
                    _ => None,
                })
                .collect()
        };
        let mut compiled = Vec::new();
        for (s, slot) in schedules.iter().zip(&mut out) {
            if slot.is_none() {
                let plan = Compiled::of(s, calendars).map(Arc::new);
                compiled.push((s.clone(), plan.clone()));
                *slot = Some(plan);
            }
        }
        if !compiled.is_empty() {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() + compiled.len() > CAPACITY {
                map.clear();
            }
            for (s, plan) in compiled {
                map.insert(s.id, (s, plan));
            }
        }
        out.into_iter().map(|p| p.expect("filled above")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timing_is_kept_only_for_the_same_decoded_record() {
        let plans = Plans::default();
        let cals = HolidayCalendars::builtin();
        use crate::calendar::tests::{rule, schedule};
        use crate::recurrence::Frequency;
        let daily = rule(Frequency::Daily, 1, (9, 0), "2027-01-01");
        let s = Arc::new(schedule("Europe/Berlin", daily));
        let first = plans
            .of(std::slice::from_ref(&s), &cals)
            .remove(0)
            .expect("compiles");
        let again = plans
            .of(std::slice::from_ref(&s), &cals)
            .remove(0)
            .expect("compiles");
        assert!(
            Arc::ptr_eq(&first, &again),
            "the same record reuses its timing"
        );
        // An equal record decoded anew (as after a write) gets its own.
        let copy = Arc::new((*s).clone());
        let other = plans.of(&[copy], &cals).remove(0).expect("compiles");
        assert!(!Arc::ptr_eq(&first, &other));
        // A record whose rule no longer compiles plans nothing.
        let mut broken = (*s).clone();
        if let crate::model::ScheduleKind::Recurring { rule } = &mut broken.kind {
            rule.interval = 0;
        }
        assert!(plans.of(&[Arc::new(broken)], &cals)[0].is_none());
    }

    #[test]
    fn a_user_list_is_served_only_at_its_version() {
        use crate::calendar::tests::{rule, schedule};
        use crate::recurrence::Frequency;
        let plans = Plans::default();
        let (alice, bob) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let s = Arc::new(schedule(
            "UTC",
            rule(Frequency::Daily, 1, (9, 0), "2027-01-01"),
        ));
        let list: UserList = vec![Listed {
            schedule: s,
            plan: None,
            runs: None,
        }]
        .into();
        plans.keep_user_list(alice, 3, list.clone());
        assert!(Arc::ptr_eq(
            &plans.user_list(alice, 3).expect("kept"),
            &list
        ));
        assert!(
            plans.user_list(alice, 4).is_none(),
            "a write moved the version"
        );
        assert!(plans.user_list(bob, 3).is_none(), "another user's");
        // A list read later replaces it.
        plans.keep_user_list(alice, 4, list.clone());
        assert!(plans.user_list(alice, 3).is_none());
        assert!(plans.user_list(alice, 4).is_some());
    }
}

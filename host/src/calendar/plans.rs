//! Compiled timings kept per schedule, so a calendar does not compile every rule again for
//! every request (compiling was a tenth of a computed month of 1,000 schedules).
//!
//! An entry is used only while the store still hands out the very decoded record it was
//! compiled from (the same `Arc`, see `store::decoded`): a changed record decodes to a new
//! `Arc`, so a stale timing is never used and nothing needs invalidating. The entry holds its
//! record, so the address cannot be reused while it is kept. Bounded: emptied when full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::model::{Schedule, ScheduleId};
use crate::recurrence::HolidayCalendars;
use crate::service::timing::Timing;

/// Schedules whose timing is kept, at most.
const CAPACITY: usize = 20_000;

/// A schedule's timing, or `None` when its rule no longer compiles (it then plans nothing).
pub type Plan = Option<Arc<Timing>>;

#[derive(Default)]
pub struct Plans {
    map: Mutex<HashMap<ScheduleId, (Arc<Schedule>, Plan)>>,
}

impl Plans {
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
                let plan = Timing::of(s, calendars).ok().map(Arc::new);
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
        broken.recurrence_rule = None;
        assert!(plans.of(&[Arc::new(broken)], &cals)[0].is_none());
    }
}

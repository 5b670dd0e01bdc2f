//! The in-memory queue of pending executions: ordered by priority (urgent first), then
//! `scheduled_for`, then creation (ids are UUIDv7), and handed out only within the limits:
//! global and per-user concurrency, and one running execution per schedule (overlap `queue`
//! waits for the previous run). Work over a limit stays queued; nothing is dropped.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::model::{Execution, ExecutionId, ScheduleId, UserId};

type Key = (u8, DateTime<Utc>, ExecutionId);

/// The rate limiters' answer for one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Yes,
    /// Not this one (its user is over a limit); later candidates may still start.
    No,
    /// Nothing can start now (a global limit): stop looking, so no one else's allowance is
    /// spent on an attempt that cannot succeed.
    Stop,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_concurrent: usize,
    pub max_concurrent_per_user: usize,
}

#[derive(Default)]
pub struct Queue {
    order: BTreeMap<Key, Execution>,
    keys: HashMap<ExecutionId, Key>,
    running_by_user: HashMap<UserId, usize>,
    running_schedules: HashSet<ScheduleId>,
    running: HashMap<ExecutionId, (UserId, ScheduleId)>,
}

fn key(e: &Execution) -> Key {
    (e.priority.rank(), e.scheduled_for, e.id)
}

impl Queue {
    /// Add a pending execution; one already queued or running is ignored.
    pub fn push(&mut self, e: Execution) {
        if self.keys.contains_key(&e.id) || self.running.contains_key(&e.id) {
            return;
        }
        let k = key(&e);
        self.keys.insert(e.id, k);
        self.order.insert(k, e);
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Whether `id` is queued or running here.
    pub fn holds(&self, id: ExecutionId) -> bool {
        self.keys.contains_key(&id) || self.running.contains_key(&id)
    }

    /// The first execution in queue order that the limits allow to start now, for which
    /// `admit` (the rate limiters) also says yes. It is moved to the running set.
    pub fn take_next(
        &mut self,
        limits: Limits,
        mut admit: impl FnMut(&Execution) -> Admit,
    ) -> Option<Execution> {
        if self.running.len() >= limits.max_concurrent {
            return None;
        }
        let mut chosen = None;
        for (k, e) in &self.order {
            let user_busy = self.running_by_user.get(&e.user_id).copied().unwrap_or(0)
                >= limits.max_concurrent_per_user;
            if user_busy || self.running_schedules.contains(&e.schedule_id) {
                continue;
            }
            match admit(e) {
                Admit::Yes => {
                    chosen = Some(*k);
                    break;
                }
                Admit::No => continue,
                Admit::Stop => return None,
            }
        }
        let k = chosen?;
        let e = self.order.remove(&k)?;
        self.keys.remove(&e.id);
        *self.running_by_user.entry(e.user_id).or_default() += 1;
        self.running_schedules.insert(e.schedule_id);
        self.running.insert(e.id, (e.user_id, e.schedule_id));
        Some(e)
    }

    /// A running execution finished (whatever its outcome): free its slots.
    pub fn finish(&mut self, id: ExecutionId) {
        if let Some((user, schedule)) = self.running.remove(&id) {
            if let Some(n) = self.running_by_user.get_mut(&user) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.running_by_user.remove(&user);
                }
            }
            self.running_schedules.remove(&schedule);
        }
    }

    /// Forget a queued execution (deleted or cancelled meanwhile).
    pub fn remove(&mut self, id: ExecutionId) {
        if let Some(k) = self.keys.remove(&id) {
            self.order.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExecutionStatus, Priority, fixtures};
    use chrono::TimeZone;
    use uuid::Uuid;

    fn exec(user: u128, schedule: u128, p: Priority, minute: u32) -> Execution {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 9, minute, 0).unwrap();
        let s = fixtures::schedule(Uuid::from_u128(user), at)
            .id(Uuid::from_u128(schedule))
            .priority(p)
            .build();
        fixtures::execution(&s, at, ExecutionStatus::Pending)
    }

    const ONE: Limits = Limits {
        max_concurrent: 1,
        max_concurrent_per_user: 1,
    };
    const WIDE: Limits = Limits {
        max_concurrent: 16,
        max_concurrent_per_user: 4,
    };

    #[test]
    fn priority_then_time_then_creation() {
        let mut q = Queue::default();
        let low = exec(1, 1, Priority::Low, 0);
        let normal_late = exec(1, 2, Priority::Normal, 5);
        let normal_a = exec(1, 3, Priority::Normal, 0);
        let normal_b = exec(1, 4, Priority::Normal, 0);
        let high = exec(1, 5, Priority::High, 9);
        let urgent = exec(1, 6, Priority::Urgent, 10);
        for e in [&low, &normal_late, &normal_b, &normal_a, &high, &urgent] {
            q.push(e.clone());
        }
        let mut got = Vec::new();
        while let Some(e) = q.take_next(ONE, |_| Admit::Yes) {
            got.push(e.id);
            q.finish(e.id);
        }
        assert_eq!(
            got,
            [
                urgent.id,
                high.id,
                normal_a.id,
                normal_b.id,
                normal_late.id,
                low.id
            ]
        );
    }

    #[test]
    fn per_user_quota_and_one_run_per_schedule() {
        let mut q = Queue::default();
        let a: Vec<Execution> = (0..6)
            .map(|i| exec(1, 100 + i, Priority::Normal, i as u32))
            .collect();
        let b = exec(2, 200, Priority::Low, 0);
        let same_schedule = exec(3, 300, Priority::Normal, 0);
        let same_schedule_2 = exec(3, 300, Priority::Normal, 1);
        for e in a.iter().chain([&b, &same_schedule, &same_schedule_2]) {
            q.push(e.clone());
        }
        let mut started = Vec::new();
        while let Some(e) = q.take_next(WIDE, |_| Admit::Yes) {
            started.push(e.id);
        }
        // User 1 gets 4 slots; user 2's low-priority run is not held behind the quota; the second
        // run of schedule 300 waits for the first. Equal priority and time: creation order.
        assert_eq!(
            started,
            [a[0].id, same_schedule.id, a[1].id, a[2].id, a[3].id, b.id]
        );
        q.finish(same_schedule.id);
        assert_eq!(
            q.take_next(WIDE, |_| Admit::Yes).map(|e| e.id),
            Some(same_schedule_2.id)
        );
        q.finish(a[0].id);
        assert_eq!(
            q.take_next(WIDE, |_| Admit::Yes).map(|e| e.id),
            Some(a[4].id)
        );
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn admission_refusal_skips_without_dropping() {
        let mut q = Queue::default();
        let x = exec(1, 1, Priority::Urgent, 0);
        let y = exec(2, 2, Priority::Low, 0);
        q.push(x.clone());
        q.push(y.clone());
        let user1 = x.user_id;
        assert_eq!(
            q.take_next(WIDE, |e| if e.user_id != user1 {
                Admit::Yes
            } else {
                Admit::No
            })
            .map(|e| e.id),
            Some(y.id)
        );
        assert_eq!(q.len(), 1);
        assert_eq!(q.take_next(WIDE, |_| Admit::Yes).map(|e| e.id), Some(x.id));
    }
}

//! Per-user data versions: a number that moves after every committed write touching a user's
//! schedules or executions, so a view derived from them (the calendar) can be kept and
//! reused exactly as long as nothing it was computed from changed.
//!
//! Users share a fixed set of striped counters (no allocation, no lock); two users on one
//! stripe only invalidate each other's views a little more often.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::UserId;

const STRIPES: usize = 4096;

pub struct UserVersions {
    stripes: Box<[AtomicU64]>,
}

impl Default for UserVersions {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl UserVersions {
    fn stripe(&self, user: UserId) -> &AtomicU64 {
        // Ids are random or time-ordered UUIDs: fold all their bits so either kind spreads.
        let v = user.as_u128();
        let mixed = ((v >> 64) as u64 ^ v as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        &self.stripes[(mixed >> 52) as usize % STRIPES]
    }

    /// The user's current version. Read it *before* reading the data a view is computed
    /// from: a write committed after that read moves it, so the view is never kept past it.
    pub fn get(&self, user: UserId) -> u64 {
        self.stripe(user).load(Ordering::Acquire)
    }

    /// Called after a commit is durable and visible, before its callers are answered.
    pub fn bump(&self, users: &[UserId]) {
        for u in users {
            self.stripe(*u).fetch_add(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_moves_only_the_users_written() {
        let v = UserVersions::default();
        let (a, b) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        assert_ne!(
            std::ptr::from_ref(v.stripe(a)),
            std::ptr::from_ref(v.stripe(b)),
            "the test needs two users on different stripes"
        );
        let (a0, b0) = (v.get(a), v.get(b));
        v.bump(&[a, a]);
        assert_eq!(v.get(a), a0 + 2);
        assert_eq!(v.get(b), b0);
    }
}

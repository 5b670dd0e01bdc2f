//! All of a rule's own occurrences: its RRULE's, those of its `additional_rules`, and its
//! `extra_dates` (RDATE), merged into one strictly increasing stream, an instant that two
//! of them share given once. Exceptions act on this stream ([`super::exceptions`]).

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::engine::{Core, Cursor, Instant};
use super::rule::RecurrenceRule;
use crate::timezone::resolve_local;

#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub(crate) tz: Tz,
    /// The rule's own RRULE first, then each additional one.
    rules: Vec<Core>,
    /// The extra dates as instants, sorted and deduplicated.
    extra: Vec<Instant>,
}

impl Schedule {
    /// `rule` must have passed validation.
    pub(crate) fn compile(rule: &RecurrenceRule, start: NaiveDate, tz: Tz) -> Schedule {
        let mut rules = vec![Core::compile(rule, start, tz)];
        for pattern in &rule.additional_rules {
            rules.push(Core::compile(&rule.with_pattern(pattern), start, tz));
        }
        // Explicit dates resolve as a reschedule's target does, with the default DST rules:
        // the policy is about a pattern's wall time meeting a transition, not a date given.
        let mut extra: Vec<Instant> = rule
            .extra_dates
            .iter()
            .map(|d| {
                let (at, off) = resolve_local(&tz, *d);
                (at.timestamp(), off.local_minus_utc())
            })
            .collect();
        extra.sort_unstable();
        extra.dedup_by_key(|i| i.0);
        Schedule { tz, rules, extra }
    }

    pub(crate) fn main(&self) -> &Core {
        &self.rules[0]
    }

    pub(crate) fn local_of(&self, secs: i64) -> Option<(chrono::NaiveDateTime, i32)> {
        self.main().local_of(secs)
    }

    /// Whether any RRULE has a `count` (its cursor then starts at the rule's start).
    pub(crate) fn has_count(&self) -> bool {
        self.rules.iter().any(|r| r.count.is_some())
    }

    /// The spans' sequences: only for a lone RRULE with no extra dates.
    pub(crate) fn wall_sequences(&self) -> Option<Vec<(i64, i64)>> {
        if self.rules.len() == 1 && self.extra.is_empty() {
            self.main().wall_sequences()
        } else {
            None
        }
    }

    /// The occurrences strictly after `after` (UTC seconds).
    pub(crate) fn cursor(&self, after: i64) -> UnionCursor<'_> {
        UnionCursor {
            cursors: self.rules.iter().map(|r| (r.cursor(after), None)).collect(),
            started: false,
            extra: &self.extra,
            extra_pos: self.extra.partition_point(|i| i.0 <= after),
            last: after,
        }
    }
}

pub(crate) struct UnionCursor<'a> {
    /// Each RRULE's cursor with its next occurrence, once asked for.
    cursors: Vec<(Cursor<'a>, Option<Instant>)>,
    started: bool,
    extra: &'a [Instant],
    extra_pos: usize,
    last: i64,
}

impl Iterator for UnionCursor<'_> {
    type Item = Instant;

    fn next(&mut self) -> Option<Instant> {
        if !self.started {
            self.started = true;
            for (cursor, peeked) in &mut self.cursors {
                *peeked = cursor.next();
            }
        }
        loop {
            let mut best: Option<(usize, Instant)> = None;
            for (i, (_, peeked)) in self.cursors.iter().enumerate() {
                if let Some(p) = peeked
                    && best.is_none_or(|(_, b)| p.0 < b.0)
                {
                    best = Some((i, *p));
                }
            }
            let extra = self.extra.get(self.extra_pos).copied();
            let item = match (best, extra) {
                (Some((_, b)), Some(e)) if e.0 < b.0 => {
                    self.extra_pos += 1;
                    e
                }
                (Some((i, b)), _) => {
                    let (cursor, peeked) = &mut self.cursors[i];
                    *peeked = cursor.next();
                    b
                }
                (None, Some(e)) => {
                    self.extra_pos += 1;
                    e
                }
                (None, None) => return None,
            };
            if item.0 > self.last {
                self.last = item.0;
                return Some(item);
            }
        }
    }
}

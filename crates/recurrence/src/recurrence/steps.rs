//! Minutely and hourly rules: instants stepped in elapsed time from the start (so a DST
//! change never doubles or drops a step), kept where the local date and time pass the
//! rule's filters, with jumps over whole dates and hours the filters rule out. An hourly
//! rule with `minutes` runs at those minutes of each stepped hour (RFC 5545: BYMINUTE
//! expands HOURLY), counting hours from the start's.

use chrono::{Days, NaiveDate, NaiveTime, Timelike};

use super::engine::{Cursor, MAX_BARREN_STEPS};
use super::filter::CYCLE_DAYS;
use crate::timezone::resolve_local;

impl Cursor<'_> {
    /// Hourly with minutes: the hour `base + k * step` is skipped whole when its local date
    /// or hour is ruled out (jumping as the plain steps do); otherwise each of its minutes
    /// after the start is checked on its own local time (a 30-minute DST shift within the
    /// hour moves the date or hour of some).
    pub(super) fn refill_expanded_step(&mut self) {
        let core = self.core;
        let horizon = CYCLE_DAYS * 86_400 + core.step;
        let mut origin: Option<i64> = None;
        for _ in 0..MAX_BARREN_STEPS {
            let k = self.next_step;
            let Some(t) = k
                .checked_mul(core.step)
                .and_then(|x| x.checked_add(core.base))
            else {
                break;
            };
            if t - *origin.get_or_insert(t) > horizon {
                break;
            }
            let Some((local, _)) = core.local_of(t) else {
                break;
            };
            let date = local.date();
            if core.end.is_some_and(|e| date > e) {
                break;
            }
            let date_ok = core.filter.matches(date);
            // After a 30-minute shift (Lord Howe) an hour's minutes may reach the next date:
            // such an hour is never jumped over, its minutes are judged one by one.
            let last = core.expand.last().copied().unwrap_or(0);
            let one_date = core
                .local_of(t + last)
                .is_some_and(|(l, _)| l.date() == date);
            let jump_to = if !date_ok && one_date {
                let cycle = date
                    .checked_add_days(Days::new(CYCLE_DAYS as u64))
                    .unwrap_or(NaiveDate::MAX);
                let limit = core.end.unwrap_or(NaiveDate::MAX).min(cycle);
                match date
                    .succ_opt()
                    .and_then(|d| core.filter.next_match(d, limit))
                {
                    Some(d) => resolve_local(&core.tz, d.and_time(NaiveTime::MIN))
                        .0
                        .timestamp(),
                    None => break,
                }
            } else if one_date
                && core.hour_mask != 0
                && core.hour_mask & (1 << local.hour()) == 0
                && core.hour_mask & (1 << ((local.hour() + 1) % 24)) == 0
            {
                t + 3600 - i64::from(local.minute() * 60 + local.second())
            } else {
                for off in &core.expand {
                    let u = t + off;
                    if u < core.anchor {
                        continue;
                    }
                    let Some((l, o)) = core.local_of(u) else {
                        continue;
                    };
                    let day_ok = if l.date() == date {
                        date_ok
                    } else {
                        core.filter.matches(l.date())
                    };
                    if day_ok
                        && core.end.is_none_or(|e| l.date() <= e)
                        && (core.hour_mask == 0 || core.hour_mask & (1 << l.hour()) != 0)
                    {
                        self.buf.push((u, o));
                    }
                }
                self.next_step = k + 1;
                if !self.buf.is_empty() {
                    return;
                }
                continue;
            };
            // The step holding `jump_to` (not the first after it): its later minutes may
            // be on the allowed date or hour.
            let k_jump = (jump_to - core.base).div_euclid(core.step);
            self.next_step = k_jump.max(k + 1);
        }
        self.done = true;
    }

    pub(super) fn refill_plain_step(&mut self) {
        let core = self.core;
        let horizon = CYCLE_DAYS * 86_400 + core.step;
        let mut origin: Option<i64> = None;
        for _ in 0..MAX_BARREN_STEPS {
            let k = self.next_step;
            let Some(t) = k
                .checked_mul(core.step)
                .and_then(|x| x.checked_add(core.anchor))
            else {
                break;
            };
            if t - *origin.get_or_insert(t) > horizon {
                break;
            }
            let Some((local, off)) = core.local_of(t) else {
                break;
            };
            let date = local.date();
            if core.end.is_some_and(|e| date > e) {
                break;
            }
            let date_ok = core.filter.matches(date);
            // After a 30-minute shift (Lord Howe) an hour's minutes may reach the next date:
            // such an hour is never jumped over, its minutes are judged one by one.
            let last = core.expand.last().copied().unwrap_or(0);
            let one_date = core
                .local_of(t + last)
                .is_some_and(|(l, _)| l.date() == date);
            let jump_to = if !date_ok && one_date {
                let cycle = date
                    .checked_add_days(Days::new(CYCLE_DAYS as u64))
                    .unwrap_or(NaiveDate::MAX);
                let limit = core.end.unwrap_or(NaiveDate::MAX).min(cycle);
                match date
                    .succ_opt()
                    .and_then(|d| core.filter.next_match(d, limit))
                {
                    Some(d) => resolve_local(&core.tz, d.and_time(NaiveTime::MIN))
                        .0
                        .timestamp(),
                    None => break,
                }
            } else if core.hour_mask != 0 && core.hour_mask & (1 << local.hour()) == 0 {
                t + 3600 - i64::from(local.minute() * 60 + local.second())
            } else if core.minute_mask != 0 && core.minute_mask & (1 << local.minute()) == 0 {
                let later = core.minute_mask >> local.minute();
                let gap = if later != 0 {
                    i64::from(later.trailing_zeros())
                } else {
                    60 - i64::from(local.minute())
                };
                t + gap * 60 - i64::from(local.second())
            } else {
                self.next_step = k + 1;
                self.buf.push((t, off));
                return;
            };
            let k_jump = (jump_to - core.anchor).div_euclid(core.step)
                + i64::from((jump_to - core.anchor).rem_euclid(core.step) != 0);
            self.next_step = k_jump.max(k + 1);
        }
        self.done = true;
    }
}

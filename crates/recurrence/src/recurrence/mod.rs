//! The recurrence engine: the rule model, its validation, the occurrence iterator, RFC 5545
//! RRULE text, presets and holiday calendars. Knows nothing of storage or HTTP.

mod compiled;
mod describe;
mod engine;
mod exceptions;
mod filter;
pub mod holidays;
mod presets;
mod rrule;
mod rrule_dates;
mod rrule_write;
mod rule;
mod spans;
mod steps;
mod union;
mod validate;
mod validate_shape;

pub use compiled::{Occurrence, Recurrence, Removed, RuleError, compile_with_default_start};
pub use exceptions::Removal;
pub use holidays::{HolidayCalendar, HolidayCalendars, builtin_calendar_names};
pub use presets::{Preset, presets};
pub use rrule::{RRuleError, parse_rrule};
pub use rrule_write::to_rrule;
pub use rule::{
    AdditionalRule, DstGap, DstOverlap, DstPolicy, Exception, Frequency, HolidayAction,
    RecurrenceRule, TimeOfDay, WeekdaySpec,
};
pub use spans::{Span, ZoneOffsets, ceil_div};
pub use validate::{
    FieldError, MAX_ADDITIONAL_RULES, MAX_EXTRA_DATES, MAX_INTERVAL, parse_rule, validate_rule,
};
pub use validate_shape::parse_dst_policy;

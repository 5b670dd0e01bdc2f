//! iCalendar (RFC 5545) documents, both ways: reading a calendar into components and its events
//! into sgsched timing (import, `sgsched next`), and writing one (the calendar feed) with folded
//! lines and the `VTIMEZONE`s its times need. The rule text itself is [`crate::recurrence`]'s.

mod event;
mod reader;
mod vtimezone;
mod writer;

pub use event::{Event, EventError, EventTiming, read_events};
pub use reader::{
    Component, ContentLine, IcalError, MAX_COMPONENTS, MAX_LINE, parse_document, unescape_text,
};
pub use vtimezone::{Observance, format_offset, observances, write_vtimezone};
pub use writer::{FOLD_AT, IcsWriter, escape_text, fold_into};

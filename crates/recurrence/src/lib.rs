//! The pure core of sgsched, split from the host so it builds without wasmtime or the Wasm
//! guests (the fuzz targets under `fuzz/` need that: nightly has no wasm32-wasip2).
//!
//! Owns: the recurrence engine ([`recurrence`]), iCalendar documents in and out ([`ical`]), the one local->UTC conversion with the DST
//! rules ([`timezone`]), and the field-by-field JSON reader the API parses bodies with
//! ([`fields`]). No I/O, no storage, no HTTP. The host re-exports these modules under their
//! old paths (`sgsched::recurrence`, `sgsched::timezone`, `sgsched::api::fields`).

pub mod fields;
pub mod ical;
pub mod recurrence;
pub mod timezone;

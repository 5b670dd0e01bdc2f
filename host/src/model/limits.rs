//! The sizes a schedule's and a series' text fields may have: the API's parsing and its
//! OpenAPI document both read them from here.

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;
pub const JOB_TYPE_MAX: usize = 64;

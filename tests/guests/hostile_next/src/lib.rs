//! The hostile guest again, as its package's version (0.0.2): a second version of one job type,
//! for the tests that replace a plugin while the server runs.

#[path = "../../hostile/src/lib.rs"]
mod hostile;

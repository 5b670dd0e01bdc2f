//! Bulk operations over HTTP (in progress).
mod common;

//! The request plumbing every handler shares, so each rule exists once: the query reader
//! (unknown names and bad values listed together as one 422, a malformed query string a 400),
//! path ids (anything that is not an id names nothing: 404, as another user's object does), and
//! the one page shape with its cursor.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::Serialize;

use super::Problem;
use crate::recurrence::FieldError;

/// The query string's pairs, read before the handler says which names it knows.
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    pub errors: Vec<FieldError>,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::bad_request(e.body_text()))?;
        Ok(Self {
            pairs,
            errors: Vec::new(),
        })
    }
}

impl QueryParams {
    /// The names this route reads; any other is a field error.
    pub fn known(mut self, known: &[&str]) -> Self {
        for (k, _) in &self.pairs {
            if !known.contains(&k.as_str()) {
                self.errors
                    .push(FieldError::new(k.clone(), "unknown query parameter"));
            }
        }
        self
    }

    /// A route that takes no parameters: any is an error.
    pub fn none(self) -> Result<(), Problem> {
        self.known(&[]).finish()
    }

    /// The last value given for `name` (a repeated parameter: the last one wins).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn parse<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let raw = self.get(name)?.to_string();
        let v = parse(&raw);
        if v.is_none() {
            self.errors
                .push(FieldError::new(name, format!("must be {expected}")));
        }
        v
    }

    /// `limit`, from 1 to `max`, `default` when absent.
    pub fn limit(&mut self, default: usize, max: usize) -> usize {
        self.parse(
            "limit",
            |s| s.parse::<usize>().ok().filter(|n| (1..=max).contains(n)),
            &format!("an integer from 1 to {max}"),
        )
        .unwrap_or(default)
    }

    /// `cursor`, decoded by the listing that made it.
    pub fn cursor<T>(&mut self, decode: impl Fn(&str) -> Option<T>) -> Option<T> {
        self.parse("cursor", decode, "a cursor from a previous page")
    }

    pub fn flag(&mut self, name: &str) -> bool {
        self.parse(
            name,
            |s| match s {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            "true or false",
        )
        .unwrap_or(false)
    }

    pub fn finish(self) -> Result<(), Problem> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::invalid_fields(self.errors))
        }
    }
}

/// What a path id names, for its 404.
pub trait IdKind: Send + Sync + 'static {
    const NOT_FOUND: &'static str;
}

pub enum ScheduleKind {}
pub enum SeriesKind {}
pub enum JobKind {}

impl IdKind for ScheduleKind {
    const NOT_FOUND: &'static str = "no such schedule";
}
impl IdKind for SeriesKind {
    const NOT_FOUND: &'static str = "no such series";
}
impl IdKind for JobKind {
    const NOT_FOUND: &'static str = "no such job";
}

/// The `{id}` of a path, a UUID. Whether the caller owns what it names is the service's
/// answer (the same 404).
pub struct PathId<K>(pub uuid::Uuid, pub PhantomData<K>);

pub type ScheduleRef = PathId<ScheduleKind>;
pub type SeriesRef = PathId<SeriesKind>;
pub type JobRef = PathId<JobKind>;

impl<K: IdKind> PathId<K> {
    pub fn not_found() -> Problem {
        Problem::not_found(K::NOT_FOUND)
    }
}

impl<S: Send + Sync, K: IdKind> FromRequestParts<S> for PathId<K> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Self::not_found())?;
        let id = uuid::Uuid::parse_str(&raw).map_err(|_| Self::not_found())?;
        Ok(Self(id, PhantomData))
    }
}

/// One page of a listing and the cursor of the next (absent on the last page).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` read with `limit + 1`: the extra row only says that another page follows, and the
    /// cursor is the last shown row's.
    pub fn cut<R>(
        mut rows: Vec<R>,
        limit: usize,
        cursor: impl Fn(&R) -> String,
        view: impl FnMut(R) -> T,
    ) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(cursor) } else { None };
        Self {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

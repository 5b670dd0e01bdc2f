//! Bearer-token authentication. Tokens are stored only as SHA-256 hashes. `sgsched token
//! create` drops a hash into `<data-dir>/tokens.d/` (it cannot open the database while a server
//! holds it); the server imports such a file into its table the first time the token is used.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::{AppState, Problem};
use crate::model::UserId;
use crate::service::Scheduler;

/// The authenticated caller.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser(pub UserId);

/// Token hash -> user, in front of the token table: tokens are never revoked, so a hit stays
/// true and most requests skip storage entirely.
#[derive(Clone)]
pub struct TokenCache {
    known: Arc<RwLock<HashMap<[u8; 32], UserId>>>,
    inbox: PathBuf,
}

impl TokenCache {
    pub fn new(inbox: PathBuf) -> Self {
        Self {
            known: Arc::new(RwLock::new(HashMap::new())),
            inbox,
        }
    }

    pub(crate) async fn user(
        &self,
        sched: &Scheduler,
        token: &str,
    ) -> Result<Option<UserId>, Problem> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(u) = self
            .known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
        {
            return Ok(Some(*u));
        }
        let mut user = sched.token_user(hash).await.map_err(Problem::from)?;
        if user.is_none() {
            user = self.import(sched, hash).await?;
        }
        if let Some(u) = user {
            self.known
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(hash, u);
        }
        Ok(user)
    }

    /// A token created by the CLI while the server runs: move it from the inbox into storage.
    async fn import(&self, sched: &Scheduler, hash: [u8; 32]) -> Result<Option<UserId>, Problem> {
        let path = self.inbox.join(hex(&hash));
        let Ok(text) = tokio::fs::read_to_string(&path).await else {
            // A concurrent first use may have imported and removed the file since this request
            // looked in storage: look again before calling the token unknown.
            return sched.token_user(hash).await.map_err(Problem::from);
        };
        let Ok(user) = uuid::Uuid::parse_str(text.trim()) else {
            tracing::warn!(file = %path.display(), "ignoring a malformed token file");
            return Ok(None);
        };
        sched.put_token(hash, user).await.map_err(Problem::from)?;
        let _ = tokio::fs::remove_file(&path).await;
        Ok(Some(user))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized =
            |detail: &str| Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("missing Authorization: Bearer <token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("Authorization must be `Bearer <token>`"))?;
        let user = match state.tokens.user(&state.scheduler, token).await? {
            Some(u) => u,
            None => return Err(unauthorized("unknown token")),
        };
        if let Some(limiter) = &state.api_rate
            && let Err(not_until) = limiter.check_key(&user)
        {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            let mut p = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "API rate limit exceeded for this user",
            );
            p.retry_after = Some(wait.as_secs().max(1));
            return Err(p);
        }
        Ok(AuthUser(user))
    }
}

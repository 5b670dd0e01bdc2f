//! Browser sessions: a random id in an HttpOnly cookie, and on the server what it stands for
//! (the user, the CSRF token of its forms, when it ends). Kept in this process's memory: a
//! restart or another node signs the browser out, which costs a sign-in, never a wrong answer.
//! Only the id's hash is held, so the table itself cannot be replayed as cookies.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::UserId;

/// The session cookie's name.
pub const COOKIE: &str = "sgsched_session";
/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(12 * 3600);
/// A session ends this long after sign-in however much it is used.
pub const LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// Sessions held at most; past it the oldest end first (a flood of sign-ins cannot grow
/// memory without bound).
const MAX_SESSIONS: usize = 100_000;

/// What a signed-in browser is.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: UserId,
    /// Every state-changing form of this session carries it.
    pub csrf: String,
    started: Instant,
    used: Instant,
}

#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<[u8; 32], Session>>,
}

/// 244 bits from the OS generator, as hex.
fn secret() -> String {
    let mut raw = [0u8; 32];
    raw[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    raw[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Session {
    fn alive(&self, now: Instant) -> bool {
        now.duration_since(self.used) < IDLE && now.duration_since(self.started) < LIFETIME
    }
}

impl Sessions {
    /// Sign `user` in: the new session's cookie value.
    pub fn start(&self, user: UserId) -> String {
        let id = secret();
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if live.len() >= MAX_SESSIONS {
            live.retain(|_, s| s.alive(now));
        }
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| *k)
        {
            live.remove(&oldest);
        }
        let session = Session {
            user,
            csrf: secret(),
            started: now,
            used: now,
        };
        live.insert(key(&id), session);
        id
    }

    /// The live session a cookie value names, its idle clock restarted.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let k = key(id);
        match live.get_mut(&k) {
            Some(s) if s.alive(now) => {
                s.used = now;
                Some(s.clone())
            }
            Some(_) => {
                live.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Sign out.
    pub fn end(&self, id: &str) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key(id));
    }
}

/// `Set-Cookie` for a new session (HttpOnly: no script reads it; SameSite=Lax: another site
/// cannot send it with a form post, yet a link from elsewhere arrives signed in).
pub fn set_cookie(id: &str) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        LIFETIME.as_secs()
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// A cookie's value from a `Cookie` header.
pub fn cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_id_until_it_ends() {
        let sessions = Sessions::default();
        let user = Uuid::now_v7();
        let id = sessions.start(user);
        let s = sessions.get(&id).expect("live");
        assert_eq!(s.user, user);
        assert_eq!(s.csrf.len(), 64);
        assert!(sessions.get("not-a-session").is_none());
        sessions.end(&id);
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn cookies_are_read_by_name() {
        let h = "a=1; sgsched_session=abc; b=2";
        assert_eq!(cookie(h, COOKIE), Some("abc"));
        assert_eq!(cookie(h, "c"), None);
    }
}

//! Creating API tokens from the command line. A token is 32 random bytes, shown once; only its
//! SHA-256 is kept, as a file `<data-dir>/tokens.d/<hash>` holding the user id, which the
//! server moves into its database on first use (redb allows one process per database, so the
//! CLI cannot write the table while a server runs).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use uuid::Uuid;

pub fn inbox(data_dir: &Path) -> PathBuf {
    data_dir.join("tokens.d")
}

/// A new token and its SHA-256 (what storage keeps).
fn generate() -> (String, [u8; 32]) {
    // Two v4 UUIDs: 244 bits from the OS generator.
    let mut raw = Vec::with_capacity(32);
    raw.extend_from_slice(Uuid::new_v4().as_bytes());
    raw.extend_from_slice(Uuid::new_v4().as_bytes());
    let token = format!(
        "sgs_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    (token, hash)
}

/// Create a token for `user` in a shared database's token table (every node reads it there
/// at once) and return it.
pub async fn create_in(
    store: &dyn crate::store::Tokens,
    user: Uuid,
) -> Result<String, crate::store::StoreError> {
    let (token, hash) = generate();
    store.put_token(hash, user).await?;
    Ok(token)
}

/// Create a token for `user` in `data_dir`'s inbox (a running server holds the embedded
/// database, and takes it from there) and return it.
pub fn create(data_dir: &Path, user: Uuid) -> std::io::Result<String> {
    let (token, hash) = generate();
    let dir = inbox(data_dir);
    std::fs::create_dir_all(&dir)?;
    let name: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(user.to_string().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(&name))?;
    // The rename must survive a crash too.
    std::fs::File::open(&dir)?.sync_all()?;
    Ok(token)
}

//! Record encoding: one format-version byte, then JSON. JSON keeps records readable by older
//! tools and tolerant of added optional fields; the version byte is what guards upgrades.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The record format this build writes and the newest it can read.
pub const FORMAT_VERSION: u8 = 1;

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    // Serializing plain data structs to a Vec cannot fail.
    serde_json::to_writer(&mut out, value).expect("record serializes");
    out
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    let (&version, body) = bytes
        .split_first()
        .ok_or_else(|| StoreError::Corrupt("empty record".into()))?;
    if version > FORMAT_VERSION {
        return Err(StoreError::TooNew {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    serde_json::from_slice(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

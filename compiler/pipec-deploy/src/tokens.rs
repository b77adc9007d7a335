//! Names and idempotency tokens: change set names, client tokens and staging keys. Tokens are
//! made once per operation and passed with every attempt of that operation, so a retried call
//! is recognised by CloudFormation instead of being carried out twice.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Milliseconds since the Unix epoch (0 if the clock is before it).
#[must_use]
pub fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// 64 hex characters unique to this moment, process and `seed`.
#[must_use]
pub fn unique_hex(seed: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(seed.as_bytes());
    hasher.update(nanos.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hex(&hasher.finalize())
}

/// Lowercase hex of bytes.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// The SHA-256 of a text, in hex.
#[must_use]
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// A client token for one operation (`[a-zA-Z0-9][-a-zA-Z0-9]*`, at most 128 characters).
#[must_use]
pub fn client_token(operation: &str, stack_name: &str) -> String {
    format!("pipec-{operation}-{}", &unique_hex(stack_name)[..32])
}

/// A fresh change set name.
#[must_use]
pub fn change_set_name() -> String {
    format!("pipec-{}", now_millis())
}

//! Tokens, digests, password hashing and the sealing of stored secrets.
//! Randomness and ciphers come from aws-lc (already linked for TLS); passwords use Argon2id.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{digest, hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug)]
pub struct CryptoError(pub &'static str);

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CryptoError {}

/// The 32-byte data key from its secret's text: base64 of exactly 32 bytes is the key itself
/// (keys made with `openssl rand -base64 32`, and `BB_DATA_KEY` locally); any other text of at
/// least 32 characters (what Secrets Manager generates) is stretched by HMAC-SHA256. Shorter
/// text is refused.
pub fn data_key_from_secret(text: &str) -> Result<[u8; 32], CryptoError> {
    use base64::Engine;
    let text = text.trim();
    if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(text)
        && let Ok(key) = <[u8; 32]>::try_from(raw.as_slice())
    {
        return Ok(key);
    }
    if text.chars().count() < 32 {
        return Err(CryptoError("the data key secret must be at least 32 characters"));
    }
    <[u8; 32]>::try_from(hmac_sha256(text.as_bytes(), b"bb-lambda data key v1").as_slice())
        .map_err(|_| CryptoError("HMAC-SHA256 gave no 32 bytes"))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    rand::fill(&mut buf).map_err(|_| CryptoError("random generator failed"))?;
    Ok(buf)
}

/// A URL-safe token carrying 256 random bits (session ids, CSRF tokens).
pub fn random_token() -> Result<String, CryptoError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// `len` characters from A-Z, a-z, 0-9, uniformly (BoxBilling's API key alphabet), with at
/// least one of each class as BoxBilling's keys have.
pub fn random_alphanumeric(len: usize) -> Result<String, CryptoError> {
    loop {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            for byte in random_bytes::<64>()? {
                // 248 = 4 * 62: rejecting above it keeps the choice uniform.
                if byte < 248 && out.len() < len {
                    out.push(ALPHANUMERIC[usize::from(byte) % ALPHANUMERIC.len()] as char);
                }
            }
        }
        let has = |f: fn(&char) -> bool| out.chars().any(|c| f(&c));
        if len < 3 || (has(char::is_ascii_uppercase) && has(char::is_ascii_lowercase) && has(char::is_ascii_digit)) {
            return Ok(out);
        }
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Argon2id with the crate's default (OWASP) parameters, PHC string format.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| CryptoError("salt encoding failed"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CryptoError("password hashing failed"))
}

/// Verifies a password against a stored PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(stored).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Whether `stored` is a password hash [`verify_password`] can check (Argon2 in PHC form).
pub fn is_password_hash(stored: &str) -> bool {
    argon2::password_hash::PasswordHash::new(stored).is_ok_and(|hash| hash.algorithm.as_str().starts_with("argon2"))
}

/// A hash no password matches, verified instead when the e-mail is unknown so that a failed
/// login takes as long either way.
pub fn decoy_password_hash() -> &'static str {
    // Argon2id of 32 random bytes nobody kept, with the same parameters as real hashes.
    DECOY
}

const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lzYWx0ZGVjb3lzYQ$7QRnO0T3xHDBuq7H9cR1Yb3Nh8tN2y2mYg8OHd9m0U8";

/// AES-256-GCM under the deployment's data key, for secrets that must be shown again
/// (the API key `api_key_get` returns). Output: base64(nonce || ciphertext || tag).
pub struct Sealer {
    key: LessSafeKey,
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Result<Self, CryptoError> {
        let unbound = UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError("bad data key"))?;
        Ok(Sealer {
            key: LessSafeKey::new(unbound),
        })
    }

    pub fn seal(&self, plaintext: &str) -> Result<String, CryptoError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut buf = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::empty(), &mut buf)
            .map_err(|_| CryptoError("sealing failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let raw = STANDARD
            .decode(sealed)
            .map_err(|_| CryptoError("sealed value is not base64"))?;
        if raw.len() < NONCE_LEN {
            return Err(CryptoError("sealed value too short"));
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError("bad nonce"))?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut body)
            .map_err(|_| CryptoError("sealed value does not open with this data key"))?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError("sealed value is not text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_have_every_class() {
        for _ in 0..50 {
            let k = random_alphanumeric(32).unwrap();
            assert_eq!(k.len(), 32);
            assert!(k.chars().any(|c| c.is_ascii_digit()));
            assert!(k.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let raw = [7u8; 32];
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw);
        assert_eq!(
            data_key_from_secret(&b64).unwrap(),
            raw,
            "a base64 key is the key itself"
        );
        let generated = "Zq4T8kWm2cR9vL1xN6bH3sJ7pD0fG5yA";
        let derived = data_key_from_secret(generated).unwrap();
        assert_eq!(derived, data_key_from_secret(&format!(" {generated}\n")).unwrap());
        assert_ne!(derived, data_key_from_secret(&generated.replace('Z', "z")).unwrap());
        assert!(data_key_from_secret("short").is_err());
        let h = hash_password("Secret12345!").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Secret12345!", &h));
        assert!(!verify_password("secret12345!", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let a = Sealer::new(&[7; 32]).unwrap();
        let b = Sealer::new(&[8; 32]).unwrap();
        let sealed = a.seal("token").unwrap();
        assert_ne!(a.seal("token").unwrap(), sealed, "fresh nonce each time");
        assert_eq!(a.open(&sealed).unwrap(), "token");
        assert!(b.open(&sealed).is_err());
    }
}

#[cfg(test)]
mod decoy_tests {
    #[test]
    fn decoy_is_a_valid_argon2id_hash_with_default_cost() {
        use argon2::password_hash::PasswordHash;
        let parsed = PasswordHash::new(super::decoy_password_hash()).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let fresh = super::hash_password("x").unwrap();
        let fresh = PasswordHash::new(&fresh).unwrap();
        assert_eq!(
            parsed.params, fresh.params,
            "same cost as real hashes, so failures take as long"
        );
        assert!(!super::verify_password("", super::decoy_password_hash()));
    }
}

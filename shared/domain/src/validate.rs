//! BoxBilling's input rules that several modules share.

use crate::error::{ApiError, ApiResult};

/// `local@label.tld` over the whole value (BoxBilling searched for it anywhere in the text,
/// which let junk around an address through).
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty() && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    text.len() <= 254 && local_ok && domain_ok
}

/// An e-mail address as a request gave it, trimmed and lower-cased where it is parsed (at the
/// edge: BoxBilling compares addresses that way). Whether it is an address at all is decided
/// by [`GivenEmail::parse`] where BoxBilling decides it, so errors keep BoxBilling's order
/// (sign-up checks the password first; login never checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenEmail(String);

impl GivenEmail {
    pub fn new(text: &str) -> GivenEmail {
        GivenEmail(text.trim().to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, if it is one ("Email is not valid" otherwise).
    pub fn parse(self) -> ApiResult<Email> {
        if is_email(&self.0) {
            Ok(Email(self.0))
        } else {
            Err(ApiError::new("Email is not valid"))
        }
    }
}

/// A valid e-mail address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// BoxBilling's strength rules, in its order.
pub fn password_strength(password: &str) -> ApiResult<()> {
    if password.chars().count() < 7 {
        return Err(ApiError::new("Password too short!"));
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(ApiError::new("Password must include at least one number!"));
    }
    if !password.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(ApiError::new("Password must include at least one letter!"));
    }
    // Argon2 input is unbounded; keep hashing cost bounded.
    if password.len() > 1024 {
        return Err(ApiError::new("Password is too long"));
    }
    Ok(())
}

/// Rejects text longer than `max` characters with a clear message.
pub fn max_len(field: &str, text: &str, max: usize) -> ApiResult<()> {
    if text.chars().count() > max {
        return Err(ApiError::new(format!("{field} is too long (at most {max} characters)")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_email_is_normalised_then_parsed() {
        let given = GivenEmail::new("  John@Example.COM ");
        assert_eq!(given.as_str(), "john@example.com");
        assert_eq!(given.parse().unwrap().as_str(), "john@example.com");
        let wrong = GivenEmail::new(" not an address ");
        assert_eq!(wrong.as_str(), "not an address");
        assert_eq!(wrong.parse().unwrap_err().message, "Email is not valid");
    }

    #[test]
    fn emails() {
        assert!(is_email("john@example.com"));
        assert!(is_email("j.o+h_n-1@mail.example.co"));
        assert!(!is_email("not-an-email"));
        assert!(!is_email("junk a@b.cd"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a@b.c1"));
        assert!(!is_email("@b.cd"));
    }

    #[test]
    fn strength_in_order() {
        assert_eq!(password_strength("abc").unwrap_err().message, "Password too short!");
        assert_eq!(
            password_strength("abcdefgh").unwrap_err().message,
            "Password must include at least one number!"
        );
        assert_eq!(
            password_strength("ABCDEFG1").unwrap_err().message,
            "Password must include at least one letter!"
        );
        assert!(password_strength("Secret12345!").is_ok());
    }
}

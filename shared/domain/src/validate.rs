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

pub fn email(text: &str) -> ApiResult<()> {
    if is_email(text) {
        Ok(())
    } else {
        Err(ApiError::new("Email is not valid"))
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

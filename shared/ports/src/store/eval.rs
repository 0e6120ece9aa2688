//! DynamoDB's condition and update semantics, evaluated in process (the embedded adapter uses
//! these; the conformance suite proves DynamoDB agrees).

use super::{Attr, Cond, Item, StoreError, TTL, UpdateOp};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::str::FromStr;

/// Whether `cond` holds for `item` (`None` = no such item: every attribute is missing) at
/// `now` (epoch seconds, for [`Cond::Live`] and [`Cond::Absent`]).
pub fn condition_holds(cond: &Cond, item: Option<&Item>, now: i64) -> bool {
    let get = |name: &str| item.and_then(|i| i.get(name));
    match cond {
        Cond::Live => item.is_some_and(|i| !is_expired(i, now)),
        Cond::Absent => item.is_none_or(|i| is_expired(i, now)),
        Cond::Exists(n) => get(n).is_some(),
        Cond::NotExists(n) => get(n).is_none(),
        Cond::Eq(n, v) => get(n).is_some_and(|a| compare(a, v) == Some(Ordering::Equal)),
        // DynamoDB: `a <> :v` is true when `a` is missing.
        Cond::Ne(n, v) => get(n).is_none_or(|a| compare(a, v) != Some(Ordering::Equal)),
        Cond::Lt(n, v) => get(n).is_some_and(|a| compare(a, v) == Some(Ordering::Less)),
        Cond::Le(n, v) => get(n).is_some_and(|a| matches!(compare(a, v), Some(Ordering::Less | Ordering::Equal))),
        Cond::Gt(n, v) => get(n).is_some_and(|a| compare(a, v) == Some(Ordering::Greater)),
        Cond::Ge(n, v) => get(n).is_some_and(|a| matches!(compare(a, v), Some(Ordering::Greater | Ordering::Equal))),
        Cond::BeginsWith(n, prefix) => get(n)
            .and_then(Attr::as_str)
            .is_some_and(|s| s.starts_with(prefix.as_str())),
        Cond::And(all) => all.iter().all(|c| condition_holds(c, item, now)),
        Cond::Or(any) => any.iter().any(|c| condition_holds(c, item, now)),
        Cond::Not(c) => !condition_holds(c, item, now),
    }
}

/// Ordering between two attributes of the same scalar type (numbers numerically, strings by
/// UTF-8 bytes); `None` for different types, which DynamoDB treats as "condition false".
pub fn compare(a: &Attr, b: &Attr) -> Option<Ordering> {
    match (a, b) {
        (Attr::S(x), Attr::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Attr::N(x), Attr::N(y)) => {
            let (x, y) = (Decimal::from_str(x).ok()?, Decimal::from_str(y).ok()?);
            Some(x.cmp(&y))
        }
        (Attr::Bool(x), Attr::Bool(y)) if x == y => Some(Ordering::Equal),
        (Attr::Null, Attr::Null) => Some(Ordering::Equal),
        (Attr::L(_) | Attr::M(_), _) if a == b => Some(Ordering::Equal),
        (Attr::Bool(_), Attr::Bool(_)) | (Attr::L(_), Attr::L(_)) | (Attr::M(_), Attr::M(_)) => Some(Ordering::Less),
        _ => None,
    }
}

/// Applies update actions to an item (created empty when missing), as UpdateItem does.
pub fn apply_update(item: &mut Item, ops: &[UpdateOp]) -> Result<(), StoreError> {
    for op in ops {
        match op {
            UpdateOp::Set(n, v) => {
                item.insert(n.clone(), v.clone());
            }
            UpdateOp::SetIfAbsent(n, v) => {
                item.entry(n.clone()).or_insert_with(|| v.clone());
            }
            UpdateOp::Add(n, by) => {
                let current = match item.get(n) {
                    None => Decimal::ZERO,
                    Some(Attr::N(text)) => {
                        Decimal::from_str(text).map_err(|_| StoreError::Invalid(format!("{n} is not a number")))?
                    }
                    Some(_) => {
                        return Err(StoreError::Invalid(format!("ADD on {n}, which is not a number")));
                    }
                };
                item.insert(n.clone(), Attr::N((current + Decimal::from(*by)).to_string()));
            }
            UpdateOp::Remove(n) => {
                item.remove(n);
            }
            UpdateOp::Append(n, values) => match item.get_mut(n) {
                Some(Attr::L(list)) => list.extend(values.iter().cloned()),
                Some(_) => return Err(StoreError::Invalid(format!("{n} is not a list"))),
                None => {
                    item.insert(n.clone(), Attr::L(values.clone()));
                }
            },
        }
    }
    Ok(())
}

/// Whether an item's TTL has passed at `now` (epoch seconds).
pub fn is_expired(item: &Item, now: i64) -> bool {
    item.get(TTL).and_then(Attr::as_i64).is_some_and(|ttl| ttl <= now)
}

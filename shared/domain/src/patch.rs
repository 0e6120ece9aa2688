//! Optional changes: what a client sets, clears or leaves alone.

/// A field a client may set, clear or leave alone (`profile/update`: omitted = unchanged).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }
}

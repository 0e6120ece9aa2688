//! Text cut to a size in the answer, so a list page stays under its bound however long the
//! records it shows (ARCHITECTURE.md, "Bounded answers").

/// The most a list answer holds: well under Lambda's 6 MB response limit.
pub const LIST_ANSWER_BYTES: usize = 4_000_000;

/// The most one list item may take in the answer: a full page (500 items) stays under
/// [`LIST_ANSWER_BYTES`].
pub const LIST_ITEM_BYTES: usize = 8_000;

/// Bytes `c` takes inside a JSON string (serde_json's escapes).
fn json_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Bytes `text` takes as a JSON string's contents.
pub fn json_size(text: &str) -> usize {
    text.chars().map(json_len).sum()
}

/// `text`, or its start that takes at most `max` bytes in JSON (cut at a character), and
/// whether it was cut.
pub fn shorten(text: &str, max: usize) -> (String, bool) {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += json_len(c);
        if used > max {
            return (text[..at].to_string(), true);
        }
    }
    (text.to_string(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(shorten("hello", 5), ("hello".to_string(), false));
    }

    #[test]
    fn text_is_cut_by_its_json_size_at_a_character() {
        // "é" is two bytes, a quote two once escaped, a control character six.
        let (cut, shortened) = shorten("ab\"é\u{1}z", 5);
        assert_eq!((cut.as_str(), shortened), ("ab\"", true));
        assert_eq!(shorten("ab\"é\u{1}z", 11).0, "ab\"é", "the control character takes six");
        assert_eq!(shorten("ab\"é\u{1}z", 13), ("ab\"é\u{1}z".to_string(), false));
        let (cut, _) = shorten("aé", 2);
        assert_eq!(cut, "a", "never half a character");
        assert_eq!(
            serde_json::to_string("ab\"é\u{1}z").unwrap().len() - 2,
            json_size("ab\"é\u{1}z")
        );
    }
}

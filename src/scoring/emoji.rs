//! Valence of emoji and text emoticons for languages other than English.
//!
//! VADER scores an emoji by replacing it with its English description, which works inside
//! English text only. For other languages the common emoji carry a valence of their own
//! (the table below, on VADER's scale); any other emoji falls back to the sum of the VADER
//! valences of the words of its description ("loudly crying face" → "crying" → -2.1), and
//! emoticons such as ":)" and "<3" use VADER's lexicon entries.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::vader;

/// The emoji people use most to praise or complain, where the description words say little
/// ("pouting face", "face with rolling eyes").
const COMMON: &[(char, f64)] = &[
    ('😀', 2.2),
    ('😃', 2.2),
    ('😄', 2.3),
    ('😁', 2.2),
    ('😆', 2.0),
    ('😅', 0.8),
    ('🤣', 2.0),
    ('😂', 1.6),
    ('🙂', 1.4),
    ('😉', 1.3),
    ('😊', 2.2),
    ('😇', 1.8),
    ('🥰', 3.0),
    ('😍', 3.0),
    ('🤩', 3.0),
    ('😘', 2.4),
    ('😋', 2.0),
    ('😎', 1.8),
    ('🤗', 2.0),
    ('🥳', 2.6),
    ('👍', 1.8),
    ('👏', 2.0),
    ('🙌', 2.2),
    ('💪', 1.6),
    ('🔥', 1.8),
    ('✨', 1.4),
    ('⭐', 1.6),
    ('🌟', 2.0),
    ('💯', 2.2),
    ('🎉', 2.2),
    ('❤', 2.8),
    ('💕', 2.8),
    ('💖', 2.8),
    ('💗', 2.6),
    ('💙', 2.4),
    ('💚', 2.4),
    ('💛', 2.4),
    ('💜', 2.4),
    ('🧡', 2.4),
    ('🤍', 2.2),
    ('😐', -0.3),
    ('😑', -0.6),
    ('😕', -1.2),
    ('🙁', -1.4),
    ('☹', -1.6),
    ('😟', -1.6),
    ('😞', -2.0),
    ('😔', -1.8),
    ('😢', -2.2),
    ('😭', -2.4),
    ('😩', -2.2),
    ('😫', -2.2),
    ('😤', -2.2),
    ('😠', -2.6),
    ('😡', -3.0),
    ('🤬', -3.2),
    ('🙄', -1.8),
    ('😒', -1.8),
    ('🤦', -1.8),
    ('🤮', -2.8),
    ('🤢', -2.4),
    ('💩', -2.6),
    ('👎', -2.2),
    ('😬', -1.0),
    ('😱', -1.8),
    ('😨', -1.8),
    ('😰', -1.8),
    ('🤡', -1.8),
    ('💔', -2.4),
    ('😖', -2.0),
    ('😣', -1.8),
    ('🥲', 0.4),
    ('🤔', -0.2),
    ('😳', -0.6),
];

static TABLE: LazyLock<FxHashMap<char, f64>> = LazyLock::new(|| COMMON.iter().copied().collect());

/// Valence of one emoji code point, if it carries any.
pub(super) fn emoji_valence(c: char) -> Option<f64> {
    if let Some(v) = TABLE.get(&c) {
        return Some(*v);
    }
    let description = vader::emoji_description(c)?;
    let sum: f64 = description
        .split([' ', '-'])
        .filter_map(vader::word_valence)
        .sum();
    (sum != 0.0).then(|| sum.clamp(-3.5, 3.5))
}

/// Valence of a text emoticon such as ":)", ":-(", ":D" or "<3". A number is not one: VADER
/// lists chat codes (143, 187, 1337) that in Estonian text are counts and years.
pub(super) fn emoticon_valence(token: &str) -> Option<f64> {
    if token.chars().all(char::is_numeric)
        || (token.chars().any(char::is_alphabetic)
            && !token.chars().any(|c| c.is_ascii_punctuation()))
    {
        return None;
    }
    vader::word_valence(&token.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_fallback_emoji() {
        assert!(emoji_valence('😡').is_some_and(|v| v < -2.0));
        assert!(emoji_valence('😍').is_some_and(|v| v > 2.0));
        // Not in the table: comes from VADER's description words.
        assert!(emoji_valence('😿').is_some_and(|v| v < 0.0));
        assert_eq!(emoji_valence('🚲'), None);
    }

    #[test]
    fn emoticons() {
        assert!(emoticon_valence(":)").is_some_and(|v| v > 0.0));
        assert!(emoticon_valence(":(").is_some_and(|v| v < 0.0));
        assert!(emoticon_valence("<3").is_some_and(|v| v > 0.0));
        assert_eq!(emoticon_valence("hea"), None);
        for number in ["143", "187", "1337", "86"] {
            assert_eq!(emoticon_valence(number), None, "{number}");
        }
    }
}

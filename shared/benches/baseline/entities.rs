//! Character references (`&amp;`, `&#x41;`, `&not`), decoded in attribute values exactly as
//! html5ever's tokenizer does it, plus the tiny question the tree emulation asks of text:
//! which references decode to ASCII whitespace.

use std::borrow::Cow;

use super::entities_table::ENTITIES;

/// The longest entity name, `CounterClockwiseContourIntegral;`, is 32 bytes.
const LONGEST_NAME: usize = 32;

/// What the windows-1252 bytes 0x80–0x9F mean; a numeric reference to one of these C1 controls
/// gives the windows-1252 character instead (`None`: the control itself is kept).
const C1_REPLACEMENTS: [Option<char>; 32] = [
    Some('\u{20ac}'),
    None,
    Some('\u{201a}'),
    Some('\u{0192}'),
    Some('\u{201e}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02c6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017d}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201c}'),
    Some('\u{201d}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02dc}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203a}'),
    Some('\u{0153}'),
    None,
    Some('\u{017e}'),
    Some('\u{0178}'),
];

/// Decodes the character references in an attribute value (the raw text between the quotes).
///
/// Follows html5ever's `CharRefTokenizer` with `is_consumed_in_attribute`: the longest named
/// reference wins, a name without `;` followed by `=` or an ASCII alphanumeric stays literal,
/// numeric references are clamped and remapped as [`numeric_char`] says.
pub(super) fn decode_attribute(value: &str) -> Cow<'_, str> {
    let Some(first) = value.find('&') else { return Cow::Borrowed(value) };
    let mut out = String::with_capacity(value.len());
    out.push_str(&value[..first]);
    let mut rest = &value[first..];
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match reference(after) {
            Some((chars, used)) => {
                out.extend(chars.into_iter().flatten());
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The character reference at the start of `after` (the text after an `&`) in an attribute value:
/// the characters it stands for and how many bytes of `after` it used, or `None` when the `&`
/// is just an ampersand.
fn reference(after: &str) -> Option<([Option<char>; 2], usize)> {
    let bytes = after.as_bytes();
    match bytes.first()? {
        b'#' => numeric(&bytes[1..]).map(|(c, used)| ([Some(c), None], used + 1)),
        b if b.is_ascii_alphanumeric() => named(bytes),
        _ => None,
    }
}

/// `&#...`: `digits` is what follows the `#`.
fn numeric(digits: &[u8]) -> Option<(char, usize)> {
    let (radix, start) = match digits.first() {
        Some(b'x' | b'X') => (16, 1),
        _ => (10, 0),
    };
    let mut value: u32 = 0;
    let mut end = start;
    while let Some(d) = digits.get(end).and_then(|&b| (b as char).to_digit(radix)) {
        // Saturate above the Unicode range: every such value maps to U+FFFD anyway.
        value = value.saturating_mul(radix).saturating_add(d).min(0x11_0000);
        end += 1;
    }
    if end == start {
        return None; // `&#` or `&#x` without digits is literal text
    }
    if digits.get(end) == Some(&b';') {
        end += 1;
    }
    Some((numeric_char(value), end))
}

/// The character a numeric reference to `value` stands for: U+FFFD for 0, surrogates and
/// values above U+10FFFF, the windows-1252 character for C1 controls, the value otherwise.
pub(super) fn numeric_char(value: u32) -> char {
    match value {
        0 | 0xD800..=0xDFFF | 0x11_0000.. => '\u{fffd}',
        0x80..=0x9F => C1_REPLACEMENTS[(value - 0x80) as usize]
            .unwrap_or_else(|| char::from_u32(value).unwrap_or('\u{fffd}')),
        _ => char::from_u32(value).unwrap_or('\u{fffd}'),
    }
}

/// `&name`: the longest entity name that starts `bytes` (entity names are ASCII alphanumerics
/// with an optional final `;`, so only prefixes of the alphanumeric run, and the whole run plus
/// `;`, can match).
fn named(bytes: &[u8]) -> Option<([Option<char>; 2], usize)> {
    let run = bytes.iter().take(LONGEST_NAME).take_while(|b| b.is_ascii_alphanumeric()).count();
    let with_semicolon = bytes.get(run) == Some(&b';');
    let candidates = (1..=run).rev().map(|len| (len, false));
    let candidates = with_semicolon.then_some((run + 1, true)).into_iter().chain(candidates);
    for (len, ends_with_semicolon) in candidates {
        // Entity names are ASCII, so `len` falls on a char boundary of the original text.
        let name = &bytes[..len];
        let Ok(index) = ENTITIES.binary_search_by(|(n, _, _)| n.as_bytes().cmp(name)) else {
            continue;
        };
        let next = bytes.get(len);
        // The attribute-value special case: `&not=` and `&notx` stay literal.
        if !ends_with_semicolon && next.is_some_and(|&b| b == b'=' || b.is_ascii_alphanumeric()) {
            return None;
        }
        let (_, first, second) = ENTITIES[index];
        return Some(([char::from_u32(first), char::from_u32(second).filter(|&c| c != '\0')], len));
    }
    None
}

/// Whether a numeric reference to `value` decodes to ASCII whitespace (tab, LF, FF, CR, space);
/// the tree builder ignores whitespace text in places where other text would open `<body>`.
pub(super) fn numeric_is_whitespace(value: u32) -> bool {
    matches!(value, 0x09 | 0x0A | 0x0C | 0x0D | 0x20)
}

/// The only named references that decode to ASCII whitespace (`&Tab;` and `&NewLine;`).
pub(super) const WHITESPACE_NAMES: [&[u8]; 2] = [b"Tab;", b"NewLine;"];

#[cfg(test)]
mod tests {
    use super::decode_attribute;

    #[test]
    fn decodes_like_html5ever() {
        let cases = [
            ("a&amp;b", "a&b"),
            ("&amp", "&"),
            ("&ampx", "&ampx"),
            ("&amp=", "&amp="),
            ("&amp;=", "&="),
            ("&notin;", "∉"),
            ("&notit;", "&notit;"),
            ("&noti", "&noti"),
            ("&not!", "¬!"),
            ("&#65;&#x42;&#X43", "ABC"),
            ("&#0;&#xD800;&#x110000;", "\u{fffd}\u{fffd}\u{fffd}"),
            ("&#x80;&#x81;", "€\u{81}"),
            ("&#;&#x;&#xg", "&#;&#x;&#xg"),
            ("&#99999999999999999999;", "\u{fffd}"),
            ("&acE;", "\u{223e}\u{333}"),
            ("&;&&", "&;&&"),
            ("&CounterClockwiseContourIntegral;", "\u{2233}"),
        ];
        for (raw, decoded) in cases {
            assert_eq!(decode_attribute(raw), decoded, "{raw}");
        }
    }
}

//! Which charset a body declares (Content-Type, else a `<meta>` in its first kilobyte, else
//! UTF-8), reported as declared, and the WHATWG decoder to read it with.

use encoding_rs::{Encoding, UTF_8};

/// How many leading bytes are searched for a `<meta charset>` (as browsers do).
const META_PRESCAN: usize = 1024;

/// The charset of a body: the label to report and the decoder to use (docs/contract.md, "Content type and encoding").
///
/// The `charset` parameter of Content-Type (`declared`) wins, reported as sent, lower-cased:
/// `ISO-8859-1` reports `iso-8859-1` although WHATWG decodes it as windows-1252. Without one, and
/// if `prescan` (an HTML or XML body), the first `<meta>` charset of a known encoding in the first
/// kilobyte. Else `utf-8`. A label no decoder knows decodes as UTF-8.
///
/// # Examples
/// ```
/// use shared::links::charset;
/// let (label, enc) = charset(Some("\"ISO-8859-1\""), b"", true);
/// assert_eq!((label.as_str(), enc.name()), ("iso-8859-1", "windows-1252"));
/// let (label, enc) = charset(None, b"<meta charset='KOI8-R'>", true);
/// assert_eq!((label.as_str(), enc.name()), ("koi8-r", "KOI8-R"));
/// let (label, enc) = charset(None, b"<meta charset='KOI8-R'>", false);
/// assert_eq!((label.as_str(), enc.name()), ("utf-8", "UTF-8"));
/// ```
pub fn charset(declared: Option<&str>, body: &[u8], prescan: bool) -> (String, &'static Encoding) {
    let declared =
        declared.map(|label| label.trim().trim_matches('"').trim()).filter(|l| !l.is_empty());
    if let Some(label) = declared {
        let encoding = Encoding::for_label(label.as_bytes()).unwrap_or(UTF_8);
        return (label.to_ascii_lowercase(), encoding);
    }
    if prescan && let Some(found) = meta_charset(body) {
        return found;
    }
    ("utf-8".to_string(), UTF_8)
}

/// The first `<meta charset=...>` or `<meta http-equiv content="...; charset=...">` in the first
/// [`META_PRESCAN`] bytes whose label names a known encoding: the label lower-cased, and its
/// decoder (a meta tag naming UTF-16 means UTF-8: HTML's rule for an ASCII-compatible parse).
fn meta_charset(body: &[u8]) -> Option<(String, &'static Encoding)> {
    let head = &body[..body.len().min(META_PRESCAN)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta") {
        let tag_start = from + at;
        let tag_end = find(&lower[tag_start..], b">").map_or(lower.len(), |e| tag_start + e);
        let tag = &lower[tag_start..tag_end];
        // A tag that mentions "charset" without "charset=" (name="charset-note") is skipped.
        let value = find(tag, b"charset")
            .and_then(|c| tag[c + b"charset".len()..].trim_ascii_start().strip_prefix(b"="));
        if let Some(rest) = value {
            let rest = rest.trim_ascii_start();
            let rest = rest.strip_prefix(b"\"").or(rest.strip_prefix(b"'")).unwrap_or(rest);
            let end = rest
                .iter()
                .position(|&b| {
                    matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace()
                })
                .unwrap_or(rest.len());
            let label = &rest[..end];
            if let Some(enc) = Encoding::for_label(label) {
                let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    UTF_8
                } else {
                    enc
                };
                return Some((String::from_utf8_lossy(label).into_owned(), enc));
            }
        }
        from = tag_end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Charset: Content-Type wins over meta, meta over the default; the label is reported as
    /// declared, lower-cased, and an unknown declared label decodes as UTF-8; a BOM wins the
    /// decoding.
    #[test]
    fn charset_order() {
        let body = b"<meta charset=utf-8>\x83\x65";
        let (label, enc) = charset(Some("Shift_JIS"), body, true);
        assert_eq!((label.as_str(), enc.name()), ("shift_jis", "Shift_JIS"));
        assert!(enc.decode(body).0.ends_with('テ'));
        let meta = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=EUC-KR\">";
        let (label, enc) = charset(None, meta, true);
        assert_eq!((label.as_str(), enc.name()), ("euc-kr", "EUC-KR"));
        let (label, enc) = charset(Some("no-such-charset"), meta, true);
        assert_eq!((label.as_str(), enc.name()), ("no-such-charset", "UTF-8"));
        let (label, enc) = charset(Some("ascii"), b"", true);
        assert_eq!((label.as_str(), enc.name()), ("ascii", "windows-1252"));
        // The decoder a label picks still yields to a byte-order mark, and never fails.
        assert_eq!(encoding_rs::WINDOWS_1252.decode(b"\xef\xbb\xbfcaf\xc3\xa9").0, "café");
        assert_eq!(UTF_8.decode(b"bad \xff bytes").0, "bad \u{fffd} bytes");
        let (label, enc) = charset(None, b"<meta charset=\"utf-16\">", true);
        assert_eq!((label.as_str(), enc.name()), ("utf-16", "UTF-8"));
        let skipped =
            b"<meta name=\"charset-note\" content=x><meta charset=bogus><meta charset=koi8-r>";
        let (label, enc) = charset(None, skipped, true);
        assert_eq!(
            (label.as_str(), enc.name()),
            ("koi8-r", "KOI8-R"),
            "unknown labels are skipped"
        );
        assert_eq!(charset(None, b"", true).0, "utf-8");
    }
}

//! What happens when a tag is complete: the tree emulation hears about it, its href is kept
//! (decoded as html5ever would have it), and raw-text elements switch the tokenizer.

use encoding_rs::{Encoding, UTF_8};
use memchr::memchr3;

use super::entities::decode_attribute;
use super::scanner::{RawText, Scanner, Slot, State, bit};
use super::tags::{Name, RawKind};
use super::tree::StartTag;

impl Scanner {
    /// The tag is complete: tell the tree, keep its link, switch to raw text if it says so.
    pub(super) fn emit_tag(&mut self) {
        self.state = State::Data;
        // Past the first few tags of a page, most tags cannot change the tree's answers.
        if self.tree.is_quiet() && self.closes_raw.is_none() {
            if self.is_end_tag {
                return;
            }
            if !matches!(self.kind, Name::Svg | Name::Math | Name::Template)
                && self.kind.raw_text().is_none()
            {
                return self.keep_href(false);
            }
        }
        // Names are compared only by the foreign-content bookkeeping, as html5ever has them:
        // decoded, NUL as U+FFFD. ASCII names (nearly all) are used as they are.
        let plain = self.tag_name.iter().all(|&b| b != 0 && b < 0x80);
        if !plain {
            let mut decoded = String::new();
            decode_into(self.encoding, &self.tag_name, &mut decoded);
            self.scratch.clear();
            self.scratch.extend_from_slice(decoded.as_bytes());
        }
        if self.is_end_tag {
            match self.closes_raw.take() {
                // html5ever's driver restarts the tokenizer after `</script>`, dropping a
                // U+FEFF that follows.
                Some(RawKind::Script) => self.arm_feff(),
                Some(_) => {}
                None => {
                    let name = if plain { &self.tag_name } else { &self.scratch };
                    self.tree.end_tag(name, self.kind);
                }
            }
            return;
        }
        let input_hidden = self.seen & bit(Slot::Type) != 0 && self.value_is(Slot::Type, "hidden");
        let encoding_indicator = self.is_encoding_indicator();
        let tag = StartTag {
            name: if plain { &self.tag_name } else { &self.scratch },
            kind: self.kind,
            self_closing: self.self_closing,
            font_breaks_out: self.seen & bit(Slot::FontStyle) != 0,
            input_hidden,
            encoding_indicator,
        };
        let outcome = self.tree.start_tag(&tag);
        if self.tree.is_done() {
            self.state = State::Done;
            return;
        }
        self.keep_href(outcome.dropped);
        if outcome.skip_feff {
            self.arm_feff();
        }
        if let Some(raw) = outcome.raw {
            self.enter_raw_text(raw);
        }
    }

    /// Keeps the href of a link (or of the first `<base>`), unless the tree dropped the element.
    fn keep_href(&mut self, dropped: bool) {
        if dropped || self.seen & bit(Slot::Href) == 0 {
            return;
        }
        if self.kind.is_link() {
            let start = self.found.text.len();
            decode_into(self.encoding, &self.href, &mut self.found.text);
            self.found.hrefs.push((start, self.found.text.len()));
        } else if self.kind == Name::Base && self.found.base.is_none() {
            let mut base = String::new();
            decode_into(self.encoding, &self.href, &mut base);
            self.found.base = Some(base);
        }
    }

    /// `<meta charset>`, `<link charset>`, ... or `<meta http-equiv=content-type content=...>`
    /// with a charset in `content`: html5ever reports an encoding and restarts the tokenizer.
    fn is_encoding_indicator(&self) -> bool {
        if self.seen & bit(Slot::Charset) != 0 {
            return true;
        }
        if self.seen & bit(Slot::HttpEquiv) == 0 || self.seen & bit(Slot::Content) == 0 {
            return false;
        }
        let mut content = String::new();
        decode_into(self.encoding, &self.small_value[2], &mut content);
        self.value_is(Slot::HttpEquiv, "content-type") && content_has_charset(&content)
    }

    /// Whether a captured value is, after decoding, an ASCII case-insensitive match for `text`.
    fn value_is(&self, slot: Slot, text: &str) -> bool {
        let raw = match slot {
            Slot::Type => &self.small_value[0],
            Slot::HttpEquiv => &self.small_value[1],
            _ => return false,
        };
        let mut value = String::new();
        decode_into(self.encoding, raw, &mut value);
        value.eq_ignore_ascii_case(text)
    }

    fn enter_raw_text(&mut self, raw: RawKind) {
        self.raw_name = match self.kind {
            Name::Title => b"title",
            Name::Textarea => b"textarea",
            Name::Style => b"style",
            Name::Xmp => b"xmp",
            Name::Iframe => b"iframe",
            Name::Noembed => b"noembed",
            Name::Noframes => b"noframes",
            _ => b"script",
        };
        self.state = match raw {
            RawKind::Rcdata | RawKind::Rawtext => State::Raw(RawText::Text),
            RawKind::Script => State::Raw(RawText::Script),
            RawKind::Plaintext => State::Plaintext,
        };
    }
}

/// Appends an attribute value as html5ever gives it: decoded from the page's encoding, NUL as
/// U+FFFD, CR LF and CR as LF, character references resolved.
fn decode_into(encoding: &'static Encoding, raw: &[u8], out: &mut String) {
    // The common case: valid text (any UTF-8 in a UTF-8 page, ASCII in a single-byte one) with
    // nothing to replace or resolve.
    if memchr3(b'&', 0, b'\r', raw).is_none()
        && let Ok(text) = std::str::from_utf8(raw)
        && (encoding == UTF_8 || text.is_ascii())
    {
        out.push_str(text);
        return;
    }
    let (text, _) = encoding.decode_without_bom_handling(raw);
    if text.contains(['\0', '\r']) {
        let text = text.replace('\0', "\u{fffd}").replace("\r\n", "\n").replace('\r', "\n");
        out.push_str(&decode_attribute(&text));
    } else {
        out.push_str(&decode_attribute(&text));
    }
}

/// html5ever's "extracting a character encoding from a meta element": whether `content`
/// names a charset.
fn content_has_charset(content: &str) -> bool {
    let bytes = content.as_bytes();
    let mut position = 0;
    loop {
        let Some(found) = bytes
            .get(position..)
            .and_then(|rest| rest.windows(7).position(|w| w.eq_ignore_ascii_case(b"charset")))
        else {
            return false;
        };
        position += found + 7;
        position += bytes[position..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        if bytes.get(position) == Some(&b'=') {
            break;
        }
    }
    position += 1;
    position += bytes[position..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    match bytes.get(position) {
        None => false,
        Some(&quote @ (b'"' | b'\'')) => bytes[position + 1..].contains(&quote),
        Some(_) => true,
    }
}

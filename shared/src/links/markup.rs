//! The tokenizer states outside tags: text, character references in text, comments, DOCTYPEs,
//! CDATA sections, and the raw text of `<script>`, `<style>`, `<title>`, ... with the script
//! escape states (`<!--` ... `<script>` ... `-->`), exactly as html5ever has them.

use memchr::{memchr, memchr2};

use super::attributes::find_short;
use super::entities::{WHITESPACE_NAMES, numeric_is_whitespace};
use super::scanner::{RawText, Reference, Scanner, State, is_space, skip_quiet_tag};
use super::tags::{Name, RawKind};

/// U+FEFF in UTF-8.
const FEFF: [u8; 3] = [0xEF, 0xBB, 0xBF];

impl Scanner {
    /// The states not about tags. Each consumes what it can of `input` from `i` and returns
    /// where it stopped (a returned `i` unchanged means "reconsume in the new state").
    pub(super) fn markup(&mut self, input: &[u8], i: usize) -> usize {
        let b = input[i];
        let next = |scanner: &mut Scanner, state: State| {
            scanner.state = state;
            i + 1
        };
        match self.state {
            State::Data => self.data(input, i),
            State::DataReference => self.data_reference(b, i),
            State::MarkupDeclaration => self.markup_declaration(b, i),
            State::CommentStart | State::CommentStartDash => match b {
                b'-' if self.state == State::CommentStart => next(self, State::CommentStartDash),
                b'-' => next(self, State::CommentEnd),
                // `<!-->` and `<!--->` are (empty) comments.
                b'>' => next(self, State::Data),
                _ => next(self, State::Comment),
            },
            // html5ever also has states for `<!--` inside a comment; they change the comment's
            // text, never where it ends, so they are left out.
            State::Comment => match memchr(b'-', &input[i..]) {
                Some(p) => {
                    self.state = State::CommentEndDash;
                    i + p + 1
                }
                None => input.len(),
            },
            State::CommentEndDash => match b {
                b'-' => next(self, State::CommentEnd),
                _ => next(self, State::Comment),
            },
            State::CommentEnd => match b {
                b'>' => next(self, State::Data),
                b'!' => next(self, State::CommentEndBang),
                b'-' => i + 1,
                _ => next(self, State::Comment),
            },
            // `--!>` ends a comment too.
            State::CommentEndBang => match b {
                b'-' => next(self, State::CommentEndDash),
                b'>' => next(self, State::Data),
                _ => next(self, State::Comment),
            },
            State::BogusComment => match memchr(b'>', &input[i..]) {
                Some(p) => {
                    self.state = State::Data;
                    i + p + 1
                }
                None => input.len(),
            },
            State::Cdata => self.cdata(input, i),
            State::CdataBracket => {
                if b == b']' {
                    return next(self, State::CdataEnd);
                }
                self.text();
                self.state = State::Cdata;
                i
            }
            State::CdataEnd => match b {
                b']' => {
                    self.text();
                    i + 1
                }
                b'>' => next(self, State::Data),
                _ => {
                    self.text();
                    self.state = State::Cdata;
                    i
                }
            },
            State::Raw(kind) => self.raw(input, i, kind),
            State::RawLessThan(kind) => self.raw_less_than(b, i, kind),
            State::RawEndTagOpen(kind) => {
                self.state = if b.is_ascii_alphabetic() {
                    self.matched = 0;
                    State::RawEndTagName(kind)
                } else {
                    State::Raw(kind)
                };
                i
            }
            State::RawEndTagName(kind) => self.raw_end_tag_name(b, i, kind),
            State::ScriptEscapeStart | State::ScriptEscapeStartDash => match b {
                b'-' if self.state == State::ScriptEscapeStart => {
                    next(self, State::ScriptEscapeStartDash)
                }
                b'-' => next(self, State::ScriptEscapedDashDash(RawText::ScriptEscaped)),
                _ => {
                    self.state = State::Raw(RawText::Script);
                    i
                }
            },
            State::ScriptEscapedDash(kind) => match b {
                b'-' => next(self, State::ScriptEscapedDashDash(kind)),
                b'<' => next(self, State::RawLessThan(kind)),
                _ => next(self, State::Raw(kind)),
            },
            State::ScriptEscapedDashDash(kind) => match b {
                b'-' => i + 1,
                b'<' => next(self, State::RawLessThan(kind)),
                b'>' => next(self, State::Raw(RawText::Script)),
                _ => next(self, State::Raw(kind)),
            },
            State::ScriptDoubleEscapeStart | State::ScriptDoubleEscapeEnd => {
                let starting = self.state == State::ScriptDoubleEscapeStart;
                let (if_script, otherwise) = if starting {
                    (RawText::ScriptDoubleEscaped, RawText::ScriptEscaped)
                } else {
                    (RawText::ScriptEscaped, RawText::ScriptDoubleEscaped)
                };
                if is_space(b) || b == b'/' || b == b'>' {
                    let script = self.matched == b"script".len();
                    next(self, State::Raw(if script { if_script } else { otherwise }))
                } else if b.is_ascii_alphabetic() {
                    self.matched = advance(self.matched, b"script", b);
                    i + 1
                } else {
                    self.state = State::Raw(otherwise);
                    i
                }
            }
            State::Plaintext => input.len(),
            // The tag states are handled in `scanner.rs`.
            _ => i + 1,
        }
    }

    /// Text. While the tree still cares whether text is whitespace, look at every byte;
    /// afterwards, jump to the next `<`.
    fn data(&mut self, input: &[u8], i: usize) -> usize {
        if !self.tree.wants_text() {
            self.feff = None;
            // Skipping a tag leaves the tree as it is, so it stays quiet.
            let quiet = self.tree.is_quiet();
            let mut i = i;
            loop {
                // Tags often follow one another (`</a></span>`): look at the next byte first.
                let p = if input.get(i) == Some(&b'<') {
                    Some(0)
                } else {
                    find_short(b'<', &input[i..])
                };
                let Some(p) = p else { return input.len() };
                let tag = i + p + 1;
                if quiet && let Some(skipped) = skip_quiet_tag(input, tag) {
                    if let Some((from, to)) = skipped.href {
                        self.found.keep_link(self.encoding, &input[from..to]);
                    }
                    i = skipped.end;
                    continue;
                }
                self.state = State::TagOpen;
                // Straight into the tag, without a trip through the dispatcher.
                return match input.get(tag) {
                    Some(_) => self.tag_open(input, tag),
                    None => input.len(),
                };
            }
        }
        for (j, &b) in input.iter().enumerate().skip(i) {
            if let Some(n) = self.feff {
                if b == FEFF[n] {
                    self.feff = (n < 2).then_some(n + 1);
                    continue;
                }
                self.feff = None;
                if n > 0 {
                    // Part of some other character, so text; look at `b` again.
                    self.tree.text();
                    return j;
                }
            }
            match b {
                b'<' => {
                    self.state = State::TagOpen;
                    return j + 1;
                }
                b'&' => {
                    self.reference = Reference::Start;
                    self.state = State::DataReference;
                    return j + 1;
                }
                // The tree builder drops NUL characters, but before `<body>` one still opens it.
                0 => self.tree.null(),
                b if is_space(b) => {}
                _ => {
                    self.tree.text();
                    return j + 1;
                }
            }
        }
        input.len()
    }

    /// A character reference in text: only `&Tab;`, `&NewLine;` and numeric references to
    /// whitespace are whitespace; anything else (a literal `&` included) is text.
    fn data_reference(&mut self, b: u8, i: usize) -> usize {
        let not_whitespace = |scanner: &mut Scanner| {
            scanner.text();
            scanner.state = State::Data;
            i
        };
        match self.reference {
            Reference::Start if b == b'#' => self.reference = Reference::Hash,
            Reference::Start => {
                let Some(which) = WHITESPACE_NAMES.iter().position(|name| name[0] == b) else {
                    return not_whitespace(self);
                };
                self.reference = Reference::Name { which, matched: 1 };
            }
            Reference::Hash => {
                let radix = if matches!(b, b'x' | b'X') { 16 } else { 10 };
                self.reference = Reference::Digits { radix, value: 0, seen: false };
                if radix == 10 {
                    return i;
                }
            }
            Reference::Digits { radix, value, seen } => match (b as char).to_digit(radix) {
                Some(digit) => {
                    let value = value.saturating_mul(radix).saturating_add(digit).min(0x11_0000);
                    self.reference = Reference::Digits { radix, value, seen: true };
                }
                None if !seen => return not_whitespace(self),
                None => {
                    if !numeric_is_whitespace(value) {
                        self.text();
                    }
                    self.state = State::Data;
                    return if b == b';' { i + 1 } else { i };
                }
            },
            Reference::Name { which, matched } => {
                let name = WHITESPACE_NAMES[which];
                if b != name[matched] {
                    return not_whitespace(self);
                }
                if matched + 1 == name.len() {
                    self.state = State::Data;
                } else {
                    self.reference = Reference::Name { which, matched: matched + 1 };
                }
            }
        }
        i + 1
    }

    /// After `<!`: `--` opens a comment, `DOCTYPE` a doctype (which, like a bogus comment, ends
    /// at the first `>`), `[CDATA[` a CDATA section in foreign content; anything else is a bogus
    /// comment. Up to 7 bytes wait in `pending` until the choice is clear.
    fn markup_declaration(&mut self, b: u8, i: usize) -> usize {
        // At most 6 bytes ever wait here: every choice is made by the 7th, the length of the
        // longest keywords (`DOCTYPE`, `[CDATA[`), and `pending` holds 7.
        self.pending[self.pending_len] = b;
        self.pending_len += 1;
        let seen = &self.pending[..self.pending_len];
        let (next, used) = match seen[0] {
            b'-' if seen.len() < 2 => return i + 1,
            b'-' if seen[1] == b'-' => (State::CommentStart, 2),
            b'd' | b'D' if seen.eq_ignore_ascii_case(&b"doctype"[..seen.len()]) => {
                if seen.len() < 7 {
                    return i + 1;
                }
                (State::BogusComment, 7)
            }
            b'[' if self.tree.cdata_allowed() && seen == &b"[CDATA["[..seen.len()] => {
                if seen.len() < 7 {
                    return i + 1;
                }
                (State::Cdata, 7)
            }
            _ => (State::BogusComment, 0),
        };
        self.state = next;
        let (rest, len) = (self.pending, self.pending_len);
        self.pending_len = 0;
        self.run(&rest[used..len]);
        i + 1
    }

    fn cdata(&mut self, input: &[u8], i: usize) -> usize {
        let rest = &input[i..];
        let end = if self.tree.wants_text() {
            let end = rest.iter().position(|&b| b == b']' || !(b == 0 || is_space(b)));
            if let Some(p) = end
                && rest[p] != b']'
            {
                self.text();
                return i + p + 1;
            }
            end
        } else {
            memchr(b']', rest)
        };
        match end {
            Some(p) => {
                self.state = State::CdataBracket;
                i + p + 1
            }
            None => input.len(),
        }
    }

    fn raw(&mut self, input: &[u8], i: usize, kind: RawText) -> usize {
        let rest = &input[i..];
        let found = match kind {
            RawText::Text | RawText::Script => memchr(b'<', rest),
            RawText::ScriptEscaped | RawText::ScriptDoubleEscaped => memchr2(b'-', b'<', rest),
        };
        let Some(p) = found else { return input.len() };
        self.state = match rest[p] {
            b'-' => State::ScriptEscapedDash(kind),
            _ => State::RawLessThan(kind),
        };
        i + p + 1
    }

    fn raw_less_than(&mut self, b: u8, i: usize, kind: RawText) -> usize {
        match (kind, b) {
            (RawText::ScriptDoubleEscaped, b'/') => {
                self.matched = 0;
                self.state = State::ScriptDoubleEscapeEnd;
            }
            (RawText::ScriptDoubleEscaped, _) => {
                self.state = State::Raw(kind);
                return i;
            }
            (_, b'/') => self.state = State::RawEndTagOpen(kind),
            (RawText::Script, b'!') => self.state = State::ScriptEscapeStart,
            (RawText::ScriptEscaped, b) if b.is_ascii_alphabetic() => {
                self.matched = advance(0, b"script", b);
                self.state = State::ScriptDoubleEscapeStart;
            }
            _ => {
                self.state = State::Raw(kind);
                return i;
            }
        }
        i + 1
    }

    /// `</` and letters in raw text: the end tag of the raw-text element if the letters spell
    /// its name and a space, `/` or `>` follows; text otherwise.
    fn raw_end_tag_name(&mut self, b: u8, i: usize, kind: RawText) -> usize {
        if b.is_ascii_alphabetic() {
            self.matched = advance(self.matched, self.raw_name, b);
            return i + 1;
        }
        let ends = is_space(b) || b == b'/' || b == b'>';
        if !ends || self.matched != self.raw_name.len() {
            self.state = State::Raw(kind);
            return i;
        }
        let kind = Name::of(self.raw_name);
        self.tag_name.clear();
        self.tag_name.extend_from_slice(self.raw_name);
        self.is_end_tag = true;
        self.closes_raw = Some(kind.raw_text().unwrap_or(RawKind::Rawtext));
        self.begin_end_tag_attributes(b);
        i + 1
    }
}

/// Extends a case-insensitive match of `target` by one letter (`usize::MAX`: no match).
fn advance(matched: usize, target: &[u8], b: u8) -> usize {
    match target.get(matched) {
        Some(&t) if t == b.to_ascii_lowercase() => matched + 1,
        _ => usize::MAX,
    }
}

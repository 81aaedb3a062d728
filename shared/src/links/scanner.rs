//! The tokenizer: a byte-level state machine over ASCII-transparent input (UTF-8 or a single-byte
//! encoding, where every byte below 0x80 is that ASCII character and never part of a longer
//! sequence). It follows html5ever's tokenizer states, but skips text with `memchr` and keeps
//! only what links need. It can stop after any byte: all its state lives in [`Scanner`].
//! The tag states are here; which attributes are kept is in `attributes.rs`, what a finished tag
//! does in `emit.rs`, and text, comments and raw text in `markup.rs`.

use encoding_rs::Encoding;

use super::attributes::find_short;
use super::tags::{Name, RawKind};
use super::tree::Tree;

/// HTML whitespace as the tokenizer sees it (CR is normalized to LF before tokenizing, so it
/// counts too; a CR LF pair only ever becomes one separator, which changes nothing here).
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Where the tokenizer is. Tag states mirror html5ever's; see `markup.rs` for the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Data,
    /// After an `&` in text, while the tree still cares whether text is whitespace.
    DataReference,
    TagOpen,
    EndTagOpen,
    TagName,
    BeforeAttributeName,
    AttributeName,
    AfterAttributeName,
    BeforeAttributeValue,
    /// Inside a value quoted with this byte (`"` or `'`).
    QuotedValue(u8),
    UnquotedValue,
    AfterQuotedValue,
    SelfClosing,
    /// After `<!`: deciding between a comment, a DOCTYPE, CDATA and a bogus comment.
    MarkupDeclaration,
    CommentStart,
    CommentStartDash,
    Comment,
    CommentEndDash,
    CommentEnd,
    CommentEndBang,
    /// Bogus comments (`<?x>`, `</1>`, `<!x>`) and DOCTYPEs: both end at the first `>`.
    BogusComment,
    Cdata,
    CdataBracket,
    CdataEnd,
    /// Text of a raw-text element, waiting for its end tag.
    Raw(RawText),
    RawLessThan(RawText),
    RawEndTagOpen(RawText),
    RawEndTagName(RawText),
    ScriptEscapeStart,
    ScriptEscapeStartDash,
    ScriptEscapedDash(RawText),
    ScriptEscapedDashDash(RawText),
    ScriptDoubleEscapeStart,
    ScriptDoubleEscapeEnd,
    Plaintext,
    /// A `<frameset>` was accepted: nothing after it can be a link.
    Done,
}

/// The raw-text sub-states: RCDATA and RAWTEXT differ only in character references, which
/// nothing here needs, so both are `Text`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RawText {
    Text,
    Script,
    ScriptEscaped,
    ScriptDoubleEscaped,
}

/// An attribute whose value (or presence) some rule needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    Href,
    /// `<input type>`: `hidden` leaves frameset-ok alone.
    Type,
    /// `charset` on `<meta>`, `<link>`, `<base>`, `<basefont>`, `<bgsound>`.
    Charset,
    HttpEquiv,
    Content,
    /// `color`, `face` or `size` on `<font>`.
    FontStyle,
}

/// The links found so far: hrefs back to back in one buffer, so that keeping a link costs no
/// allocation of its own.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// The href of the first `<base href>`.
    pub base: Option<String>,
    /// The hrefs, each valid UTF-8 (checked once for all, when they are resolved).
    pub text: Vec<u8>,
    pub hrefs: Vec<(usize, usize)>,
}

/// The tokenizer with its tree emulation and what it found.
#[derive(Debug)]
pub(super) struct Scanner {
    pub(super) state: State,
    pub(super) tree: Tree,
    /// How href bytes become text: UTF-8 or the page's single-byte encoding.
    pub(super) encoding: &'static Encoding,
    /// Whether the input is UTF-8 (so that bytes EF BB BF are a U+FEFF).
    pub(super) utf8: bool,
    pub(super) found: Found,
    // The tag being read.
    pub(super) is_end_tag: bool,
    pub(super) tag_name: Vec<u8>,
    pub(super) kind: Name,
    pub(super) self_closing: bool,
    /// The current attribute's name, lowercased; names longer than this are of no interest.
    pub(super) attribute: [u8; 16],
    pub(super) attribute_len: usize,
    /// Where the current attribute's value goes, if anywhere.
    pub(super) capture: Option<Slot>,
    /// Which slots the current tag wants, and which it has seen (first occurrence wins).
    pub(super) wanted: u8,
    pub(super) seen: u8,
    pub(super) href: Vec<u8>,
    /// The decoded tag name, when it is not plain ASCII.
    pub(super) scratch: Vec<u8>,
    pub(super) small_value: [Vec<u8>; 3],
    /// Set when the end tag being read closes the raw-text element.
    pub(super) closes_raw: Option<RawKind>,
    // Raw text.
    /// The name whose end tag ends the current raw-text element.
    pub(super) raw_name: &'static [u8],
    /// How much of `raw_name` (or of "script", in the double-escape states) matched so far;
    /// `usize::MAX` after a mismatch.
    pub(super) matched: usize,
    // Markup declarations.
    pub(super) pending: [u8; 7],
    pub(super) pending_len: usize,
    // Text classification (only while the tree cares whether text is whitespace).
    pub(super) reference: Reference,
    /// Bytes of a U+FEFF (EF BB BF) matched at a spot where html5ever drops one; `None`
    /// when no such spot is pending.
    pub(super) feff: Option<usize>,
}

/// A character reference in text, read only to tell whether it decodes to whitespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reference {
    Start,
    Hash,
    Digits {
        radix: u32,
        value: u32,
        seen: bool,
    },
    /// Matching `WHITESPACE_NAMES[which]`, `matched` bytes so far.
    Name {
        which: usize,
        matched: usize,
    },
}

impl Scanner {
    pub(super) fn new(encoding: &'static Encoding) -> Scanner {
        let utf8 = encoding == encoding_rs::UTF_8;
        Scanner {
            state: State::Data,
            tree: Tree::new(),
            encoding,
            utf8,
            found: Found::default(),
            is_end_tag: false,
            tag_name: Vec::new(),
            kind: Name::Other,
            self_closing: false,
            attribute: [0; 16],
            attribute_len: 0,
            capture: None,
            wanted: 0,
            seen: 0,
            href: Vec::new(),
            scratch: Vec::new(),
            small_value: [Vec::new(), Vec::new(), Vec::new()],
            closes_raw: None,
            raw_name: b"",
            matched: 0,
            pending: [0; 7],
            pending_len: 0,
            reference: Reference::Start,
            // html5ever drops a U+FEFF at the very start of the text.
            feff: utf8.then_some(0),
        }
    }

    /// Runs the state machine over the next bytes.
    pub(super) fn run(&mut self, input: &[u8]) {
        let mut i = 0;
        while i < input.len() {
            i = match self.state {
                State::TagOpen => self.tag_open(input, i),
                State::EndTagOpen => self.end_tag_open(input, i),
                State::TagName
                | State::BeforeAttributeName
                | State::AttributeName
                | State::AfterAttributeName
                | State::BeforeAttributeValue
                | State::QuotedValue(_)
                | State::UnquotedValue
                | State::AfterQuotedValue
                | State::SelfClosing => self.tag(input, i),
                State::Done => input.len(),
                _ => self.markup(input, i),
            };
        }
    }

    /// After `<`.
    pub(super) fn tag_open(&mut self, input: &[u8], i: usize) -> usize {
        match input[i] {
            b'!' => {
                self.pending_len = 0;
                self.state = State::MarkupDeclaration;
            }
            b'/' => self.state = State::EndTagOpen,
            b'?' => self.state = State::BogusComment,
            b if b.is_ascii_alphabetic() => return self.start_tag(false, input, i),
            _ => {
                // Not a tag: the `<` is text. Reconsume the byte as text.
                self.text();
                self.state = State::Data;
                return i;
            }
        }
        i + 1
    }

    /// After `</`.
    fn end_tag_open(&mut self, input: &[u8], i: usize) -> usize {
        match input[i] {
            b if b.is_ascii_alphabetic() => return self.start_tag(true, input, i),
            b'>' => self.state = State::Data,
            _ => {
                // `</` and a non-letter: a bogus comment, which may end right at this byte.
                self.state = State::BogusComment;
                return i;
            }
        }
        i + 1
    }

    fn start_tag(&mut self, is_end_tag: bool, input: &[u8], i: usize) -> usize {
        self.is_end_tag = is_end_tag;
        self.tag_name.clear();
        self.closes_raw = None;
        self.state = State::TagName;
        self.tag(input, i)
    }

    /// The raw-text element's end tag was recognized; read its attributes like any tag's.
    pub(super) fn begin_end_tag_attributes(&mut self, b: u8) {
        self.kind = Name::of(&self.tag_name);
        self.self_closing = false;
        self.capture = None;
        self.wanted = 0;
        self.seen = 0;
        self.state = match b {
            b'/' => State::SelfClosing,
            b'>' => return self.emit_tag(),
            _ => State::BeforeAttributeName,
        };
    }

    /// The tag states, from the tag name to the `>`: one loop with the state in a local variable,
    /// stored back into `self` only when the input runs out. The usual transitions (a space and
    /// an attribute name, `="`, a closing quote and `>` or the next name) skip the `match`, whose
    /// jump is hard to predict: that is worth a quarter of the scanner's time.
    fn tag(&mut self, input: &[u8], mut i: usize) -> usize {
        let mut state = self.state;
        while i < input.len() {
            let b = input[i];
            state = match state {
                State::TagName => {
                    let end = input[i..]
                        .iter()
                        .position(|&b| is_space(b) || b == b'/' || b == b'>')
                        .map_or(input.len(), |p| i + p);
                    // End tags that cannot matter need no name.
                    if !self.is_end_tag || !self.tree.is_quiet() {
                        self.tag_name.extend(input[i..end].iter().map(u8::to_ascii_lowercase));
                    }
                    i = end;
                    if end == input.len() {
                        break;
                    }
                    self.kind = Name::of(&self.tag_name);
                    self.wanted = self.wanted_slots();
                    self.seen = 0;
                    self.capture = None;
                    self.self_closing = false;
                    match input[end] {
                        b'/' => State::SelfClosing,
                        b'>' => break,
                        // The usual case, a space and an attribute name: go straight there.
                        _ if input.get(end + 1).is_some_and(u8::is_ascii_alphabetic) => {
                            i = end + 1;
                            state = self.start_attribute();
                            continue;
                        }
                        _ => State::BeforeAttributeName,
                    }
                }
                State::BeforeAttributeName | State::AfterAttributeName => match b {
                    b if is_space(b) => state,
                    b'/' => State::SelfClosing,
                    b'>' => break,
                    b'=' if state == State::AfterAttributeName => State::BeforeAttributeValue,
                    // Anything else, `=` included, starts an attribute name.
                    _ => {
                        state = self.start_attribute();
                        continue;
                    }
                },
                State::AttributeName => {
                    // The first byte is part of the name even if it is `=`.
                    let from = if self.attribute_len == 0 { i + 1 } else { i };
                    let end = input[from..]
                        .iter()
                        .position(|&b| is_space(b) || matches!(b, b'/' | b'>' | b'='))
                        .map_or(input.len(), |p| from + p);
                    // Most tags want no attribute at all: then names need not be kept.
                    if self.wanted == 0 {
                        self.attribute_len = self.attribute_len.saturating_add(end - i);
                    } else {
                        for &b in &input[i..end] {
                            if let Some(slot) = self.attribute.get_mut(self.attribute_len) {
                                *slot = b.to_ascii_lowercase();
                            }
                            self.attribute_len = self.attribute_len.saturating_add(1);
                        }
                    }
                    i = end;
                    if end == input.len() {
                        break;
                    }
                    if self.wanted != 0 {
                        self.finish_attribute_name();
                    }
                    match input[end] {
                        // The usual case, `="`: straight to the value.
                        b'=' => match input.get(end + 1) {
                            Some(&quote @ (b'"' | b'\'')) => {
                                i = end + 1;
                                State::QuotedValue(quote)
                            }
                            _ => State::BeforeAttributeValue,
                        },
                        b'/' => State::SelfClosing,
                        b'>' => break,
                        _ => State::AfterAttributeName,
                    }
                }
                State::BeforeAttributeValue => match b {
                    b if is_space(b) => state,
                    quote @ (b'"' | b'\'') => State::QuotedValue(quote),
                    b'>' => break,
                    _ => {
                        state = State::UnquotedValue;
                        continue;
                    }
                },
                State::QuotedValue(quote) => {
                    let end = find_short(quote, &input[i..]).map_or(input.len(), |p| i + p);
                    self.keep_value(&input[i..end]);
                    i = end;
                    if end == input.len() {
                        break;
                    }
                    // The usual cases: `>`, or a space and the next attribute's name.
                    match input.get(end + 1) {
                        Some(b'>') => {
                            i = end + 1;
                            break;
                        }
                        Some(&b)
                            if is_space(b)
                                && input.get(end + 2).is_some_and(u8::is_ascii_alphabetic) =>
                        {
                            i = end + 2;
                            state = self.start_attribute();
                            continue;
                        }
                        _ => State::AfterQuotedValue,
                    }
                }
                State::UnquotedValue => {
                    let end = input[i..]
                        .iter()
                        .position(|&b| is_space(b) || b == b'>')
                        .map_or(input.len(), |p| i + p);
                    self.keep_value(&input[i..end]);
                    i = end;
                    if end == input.len() {
                        break;
                    }
                    if input[end] == b'>' {
                        break;
                    }
                    State::BeforeAttributeName
                }
                State::AfterQuotedValue => match b {
                    b if is_space(b) => State::BeforeAttributeName,
                    b'/' => State::SelfClosing,
                    b'>' => break,
                    _ => {
                        // Attributes without whitespace between them: `<a href="x"title=y>`.
                        state = State::BeforeAttributeName;
                        continue;
                    }
                },
                State::SelfClosing => match b {
                    b'>' => {
                        self.self_closing = true;
                        break;
                    }
                    // `<a/href=x>`: the `/` is ignored.
                    _ => {
                        state = State::BeforeAttributeName;
                        continue;
                    }
                },
                _ => return i,
            };
            i += 1;
        }
        if i == input.len() {
            self.state = state;
            return i;
        }
        // Only a `>` ends the loop early: the tag is complete.
        self.emit_tag();
        i + 1
    }

    /// A new attribute name starts at the current byte.
    fn start_attribute(&mut self) -> State {
        self.attribute_len = 0;
        self.capture = None;
        State::AttributeName
    }

    /// Marks a spot where html5ever drops a U+FEFF (only text classification notices).
    pub(super) fn arm_feff(&mut self) {
        if self.utf8 {
            self.feff = Some(0);
        }
    }

    /// Text that is not whitespace.
    pub(super) fn text(&mut self) {
        if self.tree.wants_text() {
            self.tree.text();
        }
    }
}

/// A tag read by [`skip_quiet_tag`]: where it ends, and the raw value of a link's `href`.
pub(super) struct QuietTag {
    /// The index after the tag's `>`.
    pub end: usize,
    /// Where the first `href` value is in the input, for `<a>`, `<area>` and `<link>`.
    pub href: Option<(usize, usize)>,
}

/// Once the tree is quiet, most tags change nothing: every end tag, and every start tag but
/// `<base>` and the few that [`Name::switches_when_quiet`]. A link (`<a>`, `<area>`, `<link>`)
/// only gives its `href`. For these tags, starting just after the `<`, this finds where the tag ends (and the
/// href) without running the tag states.
///
/// Outside a quoted value any `>` ends a tag, whatever state it comes in, so only quotes need a
/// decision: a quote opens a value only right after an `=` that follows an attribute name. That
/// is certain when the bytes since the tag name (or the last value) hold no other `=` and no `/`,
/// and the `=` has a byte before it among them that is not a space: then they are spaces and
/// attribute names, the `=` comes in the attribute name state, and the value after it is quoted,
/// or unquoted up to a space or `>`. Anything else (`<p a= "x">`, `<p ="x">`, `<p a=b"c>`, a
/// quote inside a name; in a link, any such `=`, a `/`, or an href without a value), a tag that
/// could do more, and a tag cut off by the end of `input` give `None`, and the tag states read
/// the tag.
pub(super) fn skip_quiet_tag(input: &[u8], at: usize) -> Option<QuietTag> {
    let (end_tag, name_at) = match input.get(at)? {
        b'/' => (true, at + 1),
        _ => (false, at),
    };
    if !input.get(name_at)?.is_ascii_alphabetic() {
        return None;
    }
    let name_len = input[name_at..].iter().position(|&b| is_space(b) || b == b'/' || b == b'>')?;
    let mut i = name_at + name_len;
    let mut link = false;
    if !end_tag {
        let kind = Name::at(input, name_at, name_len);
        if kind == Name::Base || kind.switches_when_quiet() {
            return None;
        }
        link = kind.is_link();
    }
    if !link {
        let end = skip_attributes(input, i)?;
        return Some(QuietTag { end, href: None });
    }
    let mut href = None;
    // Whether the stretch since the tag name or the last value already holds an `=` or a `/`.
    let mut odd = false;
    // Where the current attribute name starts (meaningful while `odd` is false).
    let mut name_from = i;
    // `<a href>` links to the page: a valueless href is left to the tag states.
    let valueless_href =
        |href: Option<_>, name: &[u8]| link && href.is_none() && name.eq_ignore_ascii_case(b"href");
    loop {
        let b = *input.get(i)?;
        match b {
            b'>' if valueless_href(href, &input[name_from..i]) => return None,
            b'>' => return Some(QuietTag { end: i + 1, href }),
            b'"' | b'\'' => return None,
            // The `=` of an attribute name: its value follows, quoted or not.
            b'=' if !odd && !is_space(input[i - 1]) && !matches!(input[i - 1], b'"' | b'\'') => {
                let (value, value_end, next) = match *input.get(i + 1)? {
                    quote @ (b'"' | b'\'') => {
                        let value = i + 2;
                        let value_end = value + find_short(quote, input.get(value..)?)?;
                        (value, value_end, value_end + 1)
                    }
                    // `=` and a space or `>`: the value may come after spaces, or be empty.
                    b if is_space(b) || b == b'>' => {
                        if link {
                            return None;
                        }
                        odd = true;
                        i += 1;
                        continue;
                    }
                    // Unquoted, up to a space or `>` (which the loop then reads).
                    _ => {
                        let value = i + 1;
                        let len = input[value..].iter().position(|&b| is_space(b) || b == b'>')?;
                        (value, value + len, value + len)
                    }
                };
                if link && href.is_none() && input[name_from..i].eq_ignore_ascii_case(b"href") {
                    href = Some((value, value_end));
                }
                i = next;
                name_from = i;
                continue;
            }
            // Any other `=` (`<p a =x>`, `<p "x"=y>`, `<p =x>`): in a link it could start the
            // href's value, elsewhere it only makes a later quote uncertain.
            b'=' if link => return None,
            b'=' => odd = true,
            b'/' if link => return None,
            b'/' => odd = true,
            b if is_space(b) => {
                if valueless_href(href, &input[name_from..i]) {
                    return None;
                }
                name_from = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
}

/// [`skip_quiet_tag`] for a tag that is not a link, whose attributes need no look at all: from
/// the end of its name, where it ends. The same rules, but only the bytes that can decide
/// something are visited (`=`, `>`, quotes and `/`; a space only matters just before an `=`),
/// found by [`find_stop`].
fn skip_attributes(input: &[u8], mut i: usize) -> Option<usize> {
    let mut odd = false;
    loop {
        i += find_stop(input.get(i..)?)?;
        match input[i] {
            b'>' => return Some(i + 1),
            b'"' | b'\'' => return None,
            // `=` right after an attribute name: its value follows, quoted or not.
            b'=' if !odd && !is_space(input[i - 1]) && !matches!(input[i - 1], b'"' | b'\'') => {
                match *input.get(i + 1)? {
                    quote @ (b'"' | b'\'') => {
                        let value = i + 2;
                        i = value + find_short(quote, input.get(value..)?)? + 1;
                    }
                    // `=` and a space or `>`: the value may come after spaces, or be empty.
                    b if is_space(b) || b == b'>' => {
                        odd = true;
                        i += 1;
                    }
                    _ => {
                        let value = i + 1;
                        i = value
                            + input[value..].iter().position(|&b| is_space(b) || b == b'>')?;
                    }
                }
            }
            // Any other `=`, and `/`, make a later quote uncertain.
            _ => {
                odd = true;
                i += 1;
            }
        }
    }
}

/// Where the first `=`, `>`, `"`, `'` or `/` is.
fn find_stop(haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| STOPS[usize::from(b)])
}

/// `=`, `>`, `"`, `'` and `/`: the bytes [`skip_attributes`] stops at.
const STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    stops[b'=' as usize] = true;
    stops[b'>' as usize] = true;
    stops[b'"' as usize] = true;
    stops[b'\'' as usize] = true;
    stops[b'/' as usize] = true;
    stops
};

pub(super) fn bit(slot: Slot) -> u8 {
    1 << slot as u8
}

//! The few dozen tag names the scanner and the tree emulation tell apart, and what the HTML
//! tree builder does with each. Every other name is [`Name::Other`].

/// A tag name the scanner has a rule for (lowercase; the tokenizer lowercases ASCII letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Name {
    A,
    Area,
    Link,
    Base,
    Basefont,
    Bgsound,
    Meta,
    Title,
    Textarea,
    Style,
    Xmp,
    Iframe,
    Noembed,
    Noframes,
    Script,
    Plaintext,
    Noscript,
    Template,
    Head,
    Html,
    Body,
    Frameset,
    Br,
    P,
    Svg,
    Math,
    Mglyph,
    Malignmark,
    ForeignObject,
    Desc,
    Mi,
    Mo,
    Mn,
    Ms,
    Mtext,
    AnnotationXml,
    Font,
    Input,
    Col,
    /// Leaves foreign content (`<div>` inside `<svg>` closes the `<svg>`).
    Breakout,
    /// Breaks out of foreign content and sets the frameset-ok flag to "not ok".
    BreakoutKiller,
    /// A void element that breaks out of foreign content and sets frameset-ok to "not ok".
    BreakoutVoidKiller,
    /// Sets the frameset-ok flag to "not ok" (`<button>`, `<select>`, ...).
    Killer,
    /// A void element that sets frameset-ok to "not ok" (`<wbr>`, `<image>`).
    VoidKiller,
    /// A void element that does not change frameset-ok (`<col>`, `<param>`, ...), or a table part
    /// that `in body` ignores; either way nothing stays open.
    Void,
    /// Any other element.
    Other,
}

impl Name {
    /// Classifies a lowercased tag name: one probe of [`TABLE`], built at compile time from
    /// [`NAMES`], instead of comparing the name with each of them.
    pub(super) fn of(name: &[u8]) -> Name {
        key(name).map_or(Name::Other, Name::of_key)
    }

    /// Classifies the tag name of `len` bytes at `at` in `input`, in any case: its bytes are
    /// read as one number and lowercased all at once, rather than copied and lowercased one by
    /// one.
    pub(super) fn at(input: &[u8], at: usize, len: usize) -> Name {
        if len >= 16 {
            return Name::Other;
        }
        let word = match input.get(at..at + 16) {
            // The 16 bytes from `at`, those past the name cleared.
            Some(bytes) => {
                u128::from_le_bytes(bytes.try_into().unwrap_or_default()) & ((1 << (8 * len)) - 1)
            }
            None => {
                let mut bytes = [0; 16];
                bytes[..len].copy_from_slice(&input[at..at + len]);
                u128::from_le_bytes(bytes)
            }
        };
        Name::of_key(ascii_lowercase(word) | (len as u128) << 120)
    }

    fn of_key(key: u128) -> Name {
        let mut slot = slot_of(key);
        loop {
            match TABLE[slot] {
                (0, _) => return Name::Other,
                (k, name) if k == key => return name,
                _ => slot = (slot + 1) % TABLE.len(),
            }
        }
    }

    /// Whether a start tag changes what the tokenizer or the tree does once the tree is quiet
    /// ([`super::tree::Tree::is_quiet`]): raw text, foreign content, a template. Any other
    /// start tag can at most keep its href (a link, or the first `<base>`); end tags do nothing.
    pub(super) fn switches_when_quiet(self) -> bool {
        matches!(self, Name::Svg | Name::Math | Name::Template) || self.raw_text().is_some()
    }

    /// Whether the element's `href` is one of the document's links.
    pub(super) fn is_link(self) -> bool {
        matches!(self, Name::A | Name::Area | Name::Link)
    }

    /// Whether a start tag in foreign content leaves it (the HTML spec's list, plus `<font>` with
    /// a `color`, `face` or `size` attribute, which the caller checks).
    pub(super) fn breaks_out(self) -> bool {
        matches!(
            self,
            Name::Breakout
                | Name::BreakoutKiller
                | Name::BreakoutVoidKiller
                | Name::Body
                | Name::Br
                | Name::Head
                | Name::Meta
                | Name::P
        )
    }

    /// Whether the `in body` rules for this start tag set frameset-ok to "not ok"
    /// (`<input>` depends on its `type`, which the caller checks).
    pub(super) fn kills_frameset(self) -> bool {
        matches!(
            self,
            Name::BreakoutKiller
                | Name::BreakoutVoidKiller
                | Name::Killer
                | Name::VoidKiller
                | Name::Area
                | Name::Br
                | Name::Textarea
                | Name::Xmp
                | Name::Iframe
                | Name::Body
                | Name::Template
        )
    }

    /// Whether an HTML start tag leaves no element open: void elements, the elements `in body`
    /// ignores, and raw-text elements (closed by their own end tag before anything else).
    pub(super) fn leaves_nothing_open(self) -> bool {
        matches!(
            self,
            Name::Void
                | Name::VoidKiller
                | Name::Area
                | Name::Link
                | Name::Base
                | Name::Basefont
                | Name::Bgsound
                | Name::Meta
                | Name::Br
                | Name::Input
                | Name::Col
                | Name::Head
                | Name::Html
                | Name::Body
                | Name::Frameset
                | Name::BreakoutVoidKiller
        ) || self.raw_text().is_some()
    }

    /// The tokenizer state an HTML start tag switches to, if it is a raw-text element.
    /// `<noscript>` is not: scripting is disabled.
    pub(super) fn raw_text(self) -> Option<RawKind> {
        match self {
            Name::Title | Name::Textarea => Some(RawKind::Rcdata),
            Name::Style | Name::Xmp | Name::Iframe | Name::Noembed | Name::Noframes => {
                Some(RawKind::Rawtext)
            }
            Name::Script => Some(RawKind::Script),
            Name::Plaintext => Some(RawKind::Plaintext),
            _ => None,
        }
    }

    /// Start tags the `in head` rules take (`<base>`, `<link>`, `<style>`, ...).
    pub(super) fn is_head_content(self) -> bool {
        matches!(
            self,
            Name::Base
                | Name::Basefont
                | Name::Bgsound
                | Name::Link
                | Name::Meta
                | Name::Noframes
                | Name::Script
                | Name::Style
                | Name::Template
                | Name::Title
        )
    }
}

/// Every name with a rule, and its [`Name`].
const NAMES: [(&[u8], Name); 98] = [
    (b"a", Name::A),
    (b"area", Name::Area),
    (b"link", Name::Link),
    (b"base", Name::Base),
    (b"basefont", Name::Basefont),
    (b"bgsound", Name::Bgsound),
    (b"meta", Name::Meta),
    (b"title", Name::Title),
    (b"textarea", Name::Textarea),
    (b"style", Name::Style),
    (b"xmp", Name::Xmp),
    (b"iframe", Name::Iframe),
    (b"noembed", Name::Noembed),
    (b"noframes", Name::Noframes),
    (b"script", Name::Script),
    (b"plaintext", Name::Plaintext),
    (b"noscript", Name::Noscript),
    (b"template", Name::Template),
    (b"head", Name::Head),
    (b"html", Name::Html),
    (b"body", Name::Body),
    (b"frameset", Name::Frameset),
    (b"br", Name::Br),
    (b"p", Name::P),
    (b"svg", Name::Svg),
    (b"math", Name::Math),
    (b"mglyph", Name::Mglyph),
    (b"malignmark", Name::Malignmark),
    (b"foreignobject", Name::ForeignObject),
    (b"desc", Name::Desc),
    (b"mi", Name::Mi),
    (b"mo", Name::Mo),
    (b"mn", Name::Mn),
    (b"ms", Name::Ms),
    (b"mtext", Name::Mtext),
    (b"annotation-xml", Name::AnnotationXml),
    (b"font", Name::Font),
    (b"input", Name::Input),
    (b"col", Name::Col),
    (b"b", Name::Breakout),
    (b"big", Name::Breakout),
    (b"blockquote", Name::Breakout),
    (b"center", Name::Breakout),
    (b"code", Name::Breakout),
    (b"div", Name::Breakout),
    (b"dl", Name::Breakout),
    (b"em", Name::Breakout),
    (b"h1", Name::Breakout),
    (b"h2", Name::Breakout),
    (b"h3", Name::Breakout),
    (b"h4", Name::Breakout),
    (b"h5", Name::Breakout),
    (b"h6", Name::Breakout),
    (b"i", Name::Breakout),
    (b"menu", Name::Breakout),
    (b"nobr", Name::Breakout),
    (b"ol", Name::Breakout),
    (b"ruby", Name::Breakout),
    (b"s", Name::Breakout),
    (b"small", Name::Breakout),
    (b"span", Name::Breakout),
    (b"strong", Name::Breakout),
    (b"strike", Name::Breakout),
    (b"sub", Name::Breakout),
    (b"sup", Name::Breakout),
    (b"tt", Name::Breakout),
    (b"u", Name::Breakout),
    (b"ul", Name::Breakout),
    (b"var", Name::Breakout),
    (b"dd", Name::BreakoutKiller),
    (b"dt", Name::BreakoutKiller),
    (b"li", Name::BreakoutKiller),
    (b"listing", Name::BreakoutKiller),
    (b"pre", Name::BreakoutKiller),
    (b"table", Name::BreakoutKiller),
    (b"embed", Name::BreakoutVoidKiller),
    (b"hr", Name::BreakoutVoidKiller),
    (b"img", Name::BreakoutVoidKiller),
    (b"button", Name::Killer),
    (b"applet", Name::Killer),
    (b"marquee", Name::Killer),
    (b"object", Name::Killer),
    (b"select", Name::Killer),
    (b"keygen", Name::VoidKiller),
    (b"wbr", Name::VoidKiller),
    (b"image", Name::VoidKiller),
    (b"frame", Name::Void),
    (b"param", Name::Void),
    (b"source", Name::Void),
    (b"track", Name::Void),
    (b"caption", Name::Void),
    (b"colgroup", Name::Void),
    (b"tbody", Name::Void),
    (b"td", Name::Void),
    (b"tfoot", Name::Void),
    (b"th", Name::Void),
    (b"thead", Name::Void),
    (b"tr", Name::Void),
];

/// A name as one number: its bytes, little-endian, and its length in the top byte (so that a
/// name with a NUL in it is not a shorter one). `None` for names too long to be in [`NAMES`].
const fn key(name: &[u8]) -> Option<u128> {
    if name.len() >= 16 {
        return None;
    }
    let mut key = (name.len() as u128) << 120;
    let mut i = 0;
    while i < name.len() {
        key |= (name[i] as u128) << (8 * i);
        i += 1;
    }
    Some(key)
}

/// `word` with each byte `A`-`Z` made `a`-`z`, sixteen at a time: a byte's high bit is set where
/// adding `0x80 - 'A'` to its low seven bits crosses `0x80` and adding `0x80 - 'Z' - 1` does
/// not (no sum carries into the next byte), and only for bytes below `0x80`.
fn ascii_lowercase(word: u128) -> u128 {
    const LOW: u128 = u128::from_le_bytes([0x01; 16]);
    const HIGH: u128 = LOW * 0x80;
    let ascii = word & !HIGH;
    let from_a = ascii + LOW * (0x80 - b'A' as u128);
    let past_z = ascii + LOW * (0x80 - b'Z' as u128 - 1);
    let upper = from_a & !past_z & !word & HIGH;
    word | (upper >> 2)
}

/// Where a key's probe starts in [`TABLE`] (a multiplicative hash of both halves).
const fn slot_of(key: u128) -> usize {
    let mixed = (key as u64 ^ (key >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 56) as usize % TABLE_SIZE
}

const TABLE_SIZE: usize = 256;

/// [`NAMES`] as an open-addressing hash table of `(key, name)`, `(0, Other)` for an empty slot.
/// A quarter full or less, so a probe rarely goes past its first slot.
const TABLE: [(u128, Name); TABLE_SIZE] = {
    let mut table = [(0, Name::Other); TABLE_SIZE];
    let mut n = 0;
    while n < NAMES.len() {
        let (name, kind) = NAMES[n];
        let Some(key) = key(name) else { panic!("a name in NAMES is too long") };
        let mut slot = slot_of(key);
        while table[slot].0 != 0 {
            slot = (slot + 1) % TABLE_SIZE;
        }
        table[slot] = (key, kind);
        n += 1;
    }
    table
};

/// How the tokenizer reads the text of a raw-text element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RawKind {
    /// `<title>`, `<textarea>`: text with character references, until the end tag.
    Rcdata,
    /// `<style>`, `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`: text until the end tag.
    Rawtext,
    /// `<script>`: text until the end tag, with the `<!--` / `<script>` escape rules.
    Script,
    /// `<plaintext>`: text until the end of the document.
    Plaintext,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_and_nothing_else() {
        for (name, kind) in NAMES {
            assert_eq!(Name::of(name), kind, "{}", String::from_utf8_lossy(name));
            // A name differing by a trailing NUL, a last letter or a case is another name.
            assert_eq!(Name::of(&[name, b"\0"].concat()), Name::Other);
            let mut changed = name.to_vec();
            *changed.last_mut().unwrap() ^= 0x01;
            if !NAMES.iter().any(|(other, _)| *other == changed.as_slice()) {
                assert_eq!(Name::of(&changed), Name::Other);
            }
        }
        assert!(
            NAMES.iter().map(|(name, _)| name).collect::<std::collections::HashSet<_>>().len()
                == NAMES.len()
        );
        for (name, kind) in NAMES {
            // Read in place, in upper case, at the end of the input and before more bytes.
            let upper = name.to_ascii_uppercase();
            assert_eq!(Name::at(&upper, 0, upper.len()), kind);
            let padded = [&b"<"[..], &upper, b" class=x>"].concat();
            assert_eq!(Name::at(&padded, 1, name.len()), kind);
        }
        for b in 0..=255u8 {
            let word = u128::from_le_bytes([b; 16]);
            assert_eq!(ascii_lowercase(word), u128::from_le_bytes([b.to_ascii_lowercase(); 16]));
        }
        for name in [&b""[..], b"abbr", b"annotation-xml-", b"aa", b"x-very-long-custom-element"] {
            assert_eq!(Name::of(name), Name::Other);
        }
    }
}

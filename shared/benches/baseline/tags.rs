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
    /// Classifies a lowercased tag name.
    pub(super) fn of(name: &[u8]) -> Name {
        match name {
            b"a" => Name::A,
            b"area" => Name::Area,
            b"link" => Name::Link,
            b"base" => Name::Base,
            b"basefont" => Name::Basefont,
            b"bgsound" => Name::Bgsound,
            b"meta" => Name::Meta,
            b"title" => Name::Title,
            b"textarea" => Name::Textarea,
            b"style" => Name::Style,
            b"xmp" => Name::Xmp,
            b"iframe" => Name::Iframe,
            b"noembed" => Name::Noembed,
            b"noframes" => Name::Noframes,
            b"script" => Name::Script,
            b"plaintext" => Name::Plaintext,
            b"noscript" => Name::Noscript,
            b"template" => Name::Template,
            b"head" => Name::Head,
            b"html" => Name::Html,
            b"body" => Name::Body,
            b"frameset" => Name::Frameset,
            b"br" => Name::Br,
            b"p" => Name::P,
            b"svg" => Name::Svg,
            b"math" => Name::Math,
            b"mglyph" => Name::Mglyph,
            b"malignmark" => Name::Malignmark,
            b"foreignobject" => Name::ForeignObject,
            b"desc" => Name::Desc,
            b"mi" => Name::Mi,
            b"mo" => Name::Mo,
            b"mn" => Name::Mn,
            b"ms" => Name::Ms,
            b"mtext" => Name::Mtext,
            b"annotation-xml" => Name::AnnotationXml,
            b"font" => Name::Font,
            b"input" => Name::Input,
            b"col" => Name::Col,
            b"b" | b"big" | b"blockquote" | b"center" | b"code" | b"div" | b"dl" | b"em"
            | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"i" | b"menu" | b"nobr" | b"ol"
            | b"ruby" | b"s" | b"small" | b"span" | b"strong" | b"strike" | b"sub" | b"sup"
            | b"tt" | b"u" | b"ul" | b"var" => Name::Breakout,
            b"dd" | b"dt" | b"li" | b"listing" | b"pre" | b"table" => Name::BreakoutKiller,
            b"embed" | b"hr" | b"img" => Name::BreakoutVoidKiller,
            b"button" | b"applet" | b"marquee" | b"object" | b"select" => Name::Killer,
            b"keygen" | b"wbr" | b"image" => Name::VoidKiller,
            b"frame" | b"param" | b"source" | b"track" | b"caption" | b"colgroup" | b"tbody"
            | b"td" | b"tfoot" | b"th" | b"thead" | b"tr" => Name::Void,
            _ => Name::Other,
        }
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

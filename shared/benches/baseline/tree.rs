//! The part of the HTML tree builder that decides what the tokenizer sees: which start tags
//! switch it to raw text, where `<![CDATA[` is a CDATA section, and when a `<frameset>` ends
//! the document. It keeps only the state those answers need, not a DOM.

use super::tags::{Name, RawKind};

/// A start tag, as far as the tree builder's decisions go.
#[derive(Debug)]
pub(super) struct StartTag<'a> {
    /// The lowercased tag name.
    pub name: &'a [u8],
    /// Its classification.
    pub kind: Name,
    /// Whether it ended with `/>` (only foreign elements care).
    pub self_closing: bool,
    /// `<font>` with a `color`, `face` or `size` attribute (it breaks out of foreign content).
    pub font_breaks_out: bool,
    /// `<input type=hidden>` (the one `<input>` that leaves frameset-ok alone).
    pub input_hidden: bool,
    /// A `<meta>`/`<link>`/... that names a character encoding: html5ever stops the tokenizer
    /// after it, and restarting drops a U+FEFF right after the tag.
    pub encoding_indicator: bool,
}

/// What a start tag does to the tokenizer.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Outcome {
    /// The raw-text state to switch to, if any.
    pub raw: Option<RawKind>,
    /// Whether a U+FEFF right after the tag is dropped (see [`StartTag::encoding_indicator`]).
    pub skip_feff: bool,
    /// The tree builder ignores the tag: no element, so no link.
    pub dropped: bool,
}

/// The "template insertion mode" of an open `<template>`, as far as it matters: a template whose
/// first element is `<col>` is in "in column group" mode, which ignores everything but `<col>`
/// and `<template>` until the template closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TemplateMode {
    /// No element decided the mode yet ("in template").
    Undecided,
    ColumnGroup,
    Other,
}

/// The insertion modes before `<body>` exists, collapsed to what differs for us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BeforeBody {
    /// "initial", "before html", "before head".
    BeforeHead,
    InHead,
    /// `<noscript>` in `<head>` with scripting disabled.
    InHeadNoscript,
    AfterHead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Head(BeforeBody),
    /// `<body>` exists (all the later insertion modes behave alike for us).
    Body,
    /// A `<frameset>` was accepted: from here on every element but `<frame>`, `<frameset>` and
    /// `<noframes>` is dropped, so no more links can appear.
    Frameset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ns {
    Html,
    Svg,
    MathMl,
}

/// An open element of foreign content, or an HTML element open inside one (above an
/// integration point). HTML elements below the outermost `<svg>`/`<math>` are not tracked.
#[derive(Clone, Copy, Debug)]
struct Entry {
    ns: Ns,
    kind: Name,
    /// Where its lowercased name starts in `Tree::names`.
    name_start: usize,
}

impl Entry {
    /// SVG `<foreignObject>`, `<desc>`, `<title>` and MathML `<mi>`, `<mo>`, `<mn>`, `<ms>`,
    /// `<mtext>`: inside these, start tags (and text) are HTML again.
    fn is_integration_point(self) -> bool {
        match self.ns {
            Ns::Svg => matches!(self.kind, Name::ForeignObject | Name::Desc | Name::Title),
            Ns::MathMl => self.is_mathml_text_point(),
            Ns::Html => false,
        }
    }

    fn is_mathml_text_point(self) -> bool {
        self.ns == Ns::MathMl
            && matches!(self.kind, Name::Mi | Name::Mo | Name::Mn | Name::Ms | Name::Mtext)
    }
}

/// The tree builder state that changes what the tokenizer does.
#[derive(Debug)]
pub(super) struct Tree {
    phase: Phase,
    /// The frameset-ok flag: a `<frameset>` in the body is honoured only while it is set.
    frameset_ok: bool,
    /// The modes of the open HTML `<template>` elements, innermost last.
    templates: Vec<TemplateMode>,
    /// The head mode to return to when the outermost template in the head closes.
    template_return: BeforeBody,
    stack: Vec<Entry>,
    /// The names of `stack`'s entries, back to back (no allocation per element).
    names: Vec<u8>,
}

impl Tree {
    pub(super) fn new() -> Tree {
        Tree {
            phase: Phase::Head(BeforeBody::BeforeHead),
            frameset_ok: true,
            templates: Vec::new(),
            template_return: BeforeBody::BeforeHead,
            stack: Vec::new(),
            names: Vec::new(),
        }
    }

    /// After an accepted `<frameset>` nothing else can yield a link.
    pub(super) fn is_done(&self) -> bool {
        self.phase == Phase::Frameset
    }

    /// In the body, outside foreign content and templates, with frameset-ok cleared (where
    /// nearly every page is after a few tags): end tags change nothing, and start tags matter
    /// only if they open raw text, foreign content or a template.
    pub(super) fn is_quiet(&self) -> bool {
        self.phase == Phase::Body
            && self.stack.is_empty()
            && self.templates.is_empty()
            && !self.frameset_ok
    }

    /// Whether `<![CDATA[` opens a CDATA section: the adjusted current node is SVG or MathML.
    pub(super) fn cdata_allowed(&self) -> bool {
        self.stack.last().is_some_and(|e| e.ns != Ns::Html)
    }

    /// Whether non-whitespace text would change anything (open `<body>` or clear frameset-ok).
    /// Once it would not, the scanner skips text without looking at it.
    pub(super) fn wants_text(&self) -> bool {
        match self.phase {
            Phase::Head(_) => self.templates.is_empty(),
            Phase::Body => self.frameset_ok,
            Phase::Frameset => false,
        }
    }

    /// Text that is not all ASCII whitespace (NUL characters excepted, which are dropped).
    pub(super) fn text(&mut self) {
        self.frameset_ok = false;
        if matches!(self.phase, Phase::Head(_)) && self.templates.is_empty() {
            self.phase = Phase::Body;
        }
    }

    /// A NUL character in text: ignored, but any token other than whitespace, a comment or a
    /// DOCTYPE leaves the head modes, so before `<body>` it opens it (frameset-ok stays set).
    pub(super) fn null(&mut self) {
        if matches!(self.phase, Phase::Head(_)) && self.templates.is_empty() {
            self.phase = Phase::Body;
        }
    }

    pub(super) fn start_tag(&mut self, tag: &StartTag<'_>) -> Outcome {
        if self.is_done() {
            return Outcome::default();
        }
        if self.start_tag_is_foreign(tag.kind) {
            let breaks_out =
                tag.kind.breaks_out() || (tag.kind == Name::Font && tag.font_breaks_out);
            if !breaks_out {
                if !tag.self_closing {
                    let ns = self.stack.last().map_or(Ns::Html, |e| e.ns);
                    self.push(ns, tag.kind, tag.name);
                }
                return Outcome::default();
            }
            self.pop_to_html_or_integration_point();
        }
        if let Phase::Head(head) = self.phase
            && self.templates.is_empty()
            && let Some(outcome) = self.head_start_tag(head, tag)
        {
            return outcome;
        }
        if let Some(mode) = self.templates.last_mut() {
            match (*mode, tag.kind) {
                (TemplateMode::Undecided, Name::Col) => *mode = TemplateMode::ColumnGroup,
                (TemplateMode::Undecided, kind) if !kind.is_head_content() => {
                    *mode = TemplateMode::Other;
                }
                (TemplateMode::ColumnGroup, Name::Col | Name::Template | Name::Html) => {}
                (TemplateMode::ColumnGroup, _) => {
                    return Outcome { dropped: true, ..Outcome::default() };
                }
                _ => {}
            }
        }
        self.body_start_tag(tag)
    }

    pub(super) fn end_tag(&mut self, name: &[u8], kind: Name) {
        if self.is_done() {
            return;
        }
        // End tags go to the foreign rules whenever the adjusted current node is foreign,
        // integration points included.
        if self.cdata_allowed() {
            if matches!(kind, Name::Br | Name::P) {
                self.pop_to_html_or_integration_point();
                return self.html_end_tag(name, kind);
            }
            let mut index = self.stack.len();
            let mut first = true;
            while index > 0 {
                index -= 1;
                if !first && self.stack[index].ns == Ns::Html {
                    return self.html_end_tag(name, kind);
                }
                if self.name(index) == name {
                    return self.truncate(index);
                }
                first = false;
            }
        }
        self.html_end_tag(name, kind)
    }

    /// html5ever's `is_foreign` for a start tag.
    fn start_tag_is_foreign(&self, kind: Name) -> bool {
        let Some(&top) = self.stack.last() else { return false };
        match top.ns {
            Ns::Html => false,
            _ if top.is_mathml_text_point() => matches!(kind, Name::Mglyph | Name::Malignmark),
            Ns::Svg if top.is_integration_point() => false,
            // scraper never reports `<annotation-xml encoding=text/html>` as an integration
            // point, so only `<svg>` escapes it.
            Ns::MathMl if top.kind == Name::AnnotationXml => kind != Name::Svg,
            _ => true,
        }
    }

    /// The `in head` family of insertion modes; `None` when the tag opens `<body>` and must be
    /// handled by the `in body` rules.
    fn head_start_tag(&mut self, mut head: BeforeBody, tag: &StartTag<'_>) -> Option<Outcome> {
        let kind = tag.kind;
        loop {
            match (head, kind) {
                (_, Name::Html) => {}
                (BeforeBody::BeforeHead, Name::Head) => head = BeforeBody::InHead,
                (BeforeBody::BeforeHead, _) => {
                    head = BeforeBody::InHead;
                    continue;
                }
                (BeforeBody::InHead, Name::Noscript) => head = BeforeBody::InHeadNoscript,
                (
                    BeforeBody::InHead | BeforeBody::InHeadNoscript | BeforeBody::AfterHead,
                    Name::Head,
                ) => {}
                (BeforeBody::InHeadNoscript, Name::Noscript) => {}
                (BeforeBody::InHeadNoscript, Name::Basefont | Name::Bgsound | Name::Link)
                | (BeforeBody::InHeadNoscript, Name::Meta | Name::Noframes | Name::Style)
                | (BeforeBody::InHead | BeforeBody::AfterHead, _)
                    if kind.is_head_content() =>
                {
                    if kind == Name::Template {
                        self.templates.push(TemplateMode::Undecided);
                        self.template_return = head;
                        self.frameset_ok = false;
                    }
                    self.phase = Phase::Head(head);
                    return Some(Outcome {
                        raw: kind.raw_text(),
                        skip_feff: tag.encoding_indicator,
                        dropped: false,
                    });
                }
                (BeforeBody::InHeadNoscript, _) => {
                    head = BeforeBody::InHead;
                    continue;
                }
                (BeforeBody::InHead, _) => {
                    head = BeforeBody::AfterHead;
                    continue;
                }
                (BeforeBody::AfterHead, Name::Body) => {
                    self.phase = Phase::Body;
                    self.frameset_ok = false;
                    return Some(Outcome::default());
                }
                (BeforeBody::AfterHead, Name::Frameset) => {
                    self.phase = Phase::Frameset;
                    return Some(Outcome::default());
                }
                (BeforeBody::AfterHead, _) => {
                    self.phase = Phase::Body;
                    return None;
                }
            }
            self.phase = Phase::Head(head);
            return Some(Outcome::default());
        }
    }

    /// The `in body` rules (and those that defer to them: tables, templates, after body).
    fn body_start_tag(&mut self, tag: &StartTag<'_>) -> Outcome {
        let kind = tag.kind;
        match kind {
            Name::Frameset if self.templates.is_empty() && self.frameset_ok => {
                self.phase = Phase::Frameset;
                return Outcome::default();
            }
            Name::Svg | Name::Math => {
                if !tag.self_closing {
                    let ns = if kind == Name::Svg { Ns::Svg } else { Ns::MathMl };
                    self.push(ns, kind, tag.name);
                }
                return Outcome::default();
            }
            Name::Template => self.templates.push(TemplateMode::Undecided),
            _ => {}
        }
        if kind.kills_frameset() || (kind == Name::Input && !tag.input_hidden) {
            self.frameset_ok = false;
        }
        if !self.stack.is_empty() && !kind.leaves_nothing_open() {
            self.push(Ns::Html, kind, tag.name);
        }
        Outcome { raw: kind.raw_text(), skip_feff: tag.encoding_indicator, dropped: false }
    }

    fn html_end_tag(&mut self, name: &[u8], kind: Name) {
        if let Phase::Head(head) = self.phase
            && self.templates.is_empty()
        {
            let next = match (head, kind) {
                (BeforeBody::BeforeHead, Name::Head | Name::Body | Name::Html | Name::Br) => {
                    Some(BeforeBody::InHead)
                }
                (BeforeBody::InHead, Name::Head) => {
                    return self.phase = Phase::Head(BeforeBody::AfterHead);
                }
                (BeforeBody::InHead, Name::Body | Name::Html | Name::Br) => {
                    Some(BeforeBody::AfterHead)
                }
                (BeforeBody::InHeadNoscript, Name::Noscript) => {
                    return self.phase = Phase::Head(BeforeBody::InHead);
                }
                (BeforeBody::InHeadNoscript, Name::Br) => Some(BeforeBody::InHead),
                (BeforeBody::AfterHead, Name::Body | Name::Html | Name::Br) => None,
                _ => return,
            };
            self.phase = next.map_or(Phase::Body, Phase::Head);
            return self.html_end_tag(name, kind);
        }
        match kind {
            // `</br>` is treated as `<br>`.
            Name::Br => self.frameset_ok = false,
            Name::Template if !self.templates.is_empty() => {
                self.templates.pop();
                let open = self.stack.iter().rposition(|e| e.ns == Ns::Html && e.kind == kind);
                self.truncate(open.unwrap_or(0));
                if self.templates.is_empty()
                    && let Phase::Head(_) = self.phase
                {
                    self.phase = Phase::Head(self.template_return);
                }
            }
            // Simplified "any other end tag": close the nearest open HTML element of that name,
            // looking past foreign elements but not past an integration point (those are
            // "special" and bound every scope).
            _ => {
                for index in (0..self.stack.len()).rev() {
                    let entry = self.stack[index];
                    if entry.is_integration_point() {
                        break;
                    }
                    if entry.ns == Ns::Html && self.name(index) == name {
                        return self.truncate(index);
                    }
                }
            }
        }
    }

    fn pop_to_html_or_integration_point(&mut self) {
        while let Some(&top) = self.stack.last() {
            if top.ns == Ns::Html || top.is_integration_point() {
                break;
            }
            self.truncate(self.stack.len() - 1);
        }
    }

    fn push(&mut self, ns: Ns, kind: Name, name: &[u8]) {
        self.stack.push(Entry { ns, kind, name_start: self.names.len() });
        self.names.extend_from_slice(name);
    }

    fn name(&self, index: usize) -> &[u8] {
        let end = self.stack.get(index + 1).map_or(self.names.len(), |e| e.name_start);
        &self.names[self.stack[index].name_start..end]
    }

    /// Pops the entry at `index` and everything above it.
    fn truncate(&mut self, index: usize) {
        if let Some(entry) = self.stack.get(index) {
            self.names.truncate(entry.name_start);
            self.stack.truncate(index);
        }
    }
}

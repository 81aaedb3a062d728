//! Which attributes a tag's rules need (`href` for links, `type` for `<input>`, `charset` and
//! friends for `<meta>`, `color`/`face`/`size` for `<font>`), and keeping their values: the
//! first occurrence of an attribute wins, as in the tokenizer.

use memchr::memchr;

use super::scanner::{Scanner, Slot, bit};
use super::tags::Name;

impl Scanner {
    /// The attributes the current tag's rules look at, as a bit set of [`Slot`]s.
    pub(super) fn wanted_slots(&self) -> u8 {
        if self.is_end_tag {
            return 0;
        }
        let cares = self.tree.wants_text();
        match self.kind {
            Name::A | Name::Area => bit(Slot::Href),
            Name::Link | Name::Base if cares => bit(Slot::Href) | bit(Slot::Charset),
            Name::Link | Name::Base => bit(Slot::Href),
            Name::Basefont | Name::Bgsound if cares => bit(Slot::Charset),
            Name::Meta if cares => bit(Slot::Charset) | bit(Slot::HttpEquiv) | bit(Slot::Content),
            Name::Input if cares => bit(Slot::Type),
            Name::Font => bit(Slot::FontStyle),
            _ => 0,
        }
    }

    /// Decides where the value of the attribute just named goes.
    pub(super) fn finish_attribute_name(&mut self) {
        let name = self.attribute.get(..self.attribute_len).unwrap_or(b"-too-long-");
        let slot = match name {
            b"href" => Slot::Href,
            b"type" => Slot::Type,
            b"charset" => Slot::Charset,
            b"http-equiv" => Slot::HttpEquiv,
            b"content" => Slot::Content,
            b"color" | b"face" | b"size" => Slot::FontStyle,
            _ => return,
        };
        // A repeated attribute is dropped: the first one wins.
        if self.wanted & bit(slot) != 0 && self.seen & bit(slot) == 0 {
            self.seen |= bit(slot);
            self.capture = Some(slot);
            if let Some(buffer) = self.buffer(slot) {
                buffer.clear();
            }
        }
    }

    fn buffer(&mut self, slot: Slot) -> Option<&mut Vec<u8>> {
        match slot {
            Slot::Href => Some(&mut self.href),
            Slot::Type => Some(&mut self.small_value[0]),
            Slot::HttpEquiv => Some(&mut self.small_value[1]),
            Slot::Content => Some(&mut self.small_value[2]),
            Slot::Charset | Slot::FontStyle => None,
        }
    }

    pub(super) fn keep_value(&mut self, bytes: &[u8]) {
        if let Some(slot) = self.capture
            && let Some(buffer) = self.buffer(slot)
        {
            buffer.extend_from_slice(bytes);
        }
    }
}

/// `memchr` for haystacks where the needle is usually near: attribute values are mostly a few
/// bytes long, and `memchr`'s vector set-up would cost more than the search. The first 32 bytes
/// are searched eight at a time in a `u64` ("SWAR"), the rest with `memchr`.
pub(super) fn find_short(needle: u8, haystack: &[u8]) -> Option<usize> {
    const LOW: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let pattern = LOW * u64::from(needle);
    let mut offset = 0;
    while offset < 32 && offset + 8 <= haystack.len() {
        // An 8-byte window: the conversion cannot fail.
        let word = u64::from_le_bytes(haystack[offset..offset + 8].try_into().unwrap_or_default());
        let x = word ^ pattern;
        // The lowest byte of `x` that is zero sets its high bit here (higher bytes may be
        // flagged falsely, but only above a true match, so the lowest flag is exact).
        let found = x.wrapping_sub(LOW) & !x & HIGH;
        if found != 0 {
            return Some(offset + found.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    memchr(needle, &haystack[offset..]).map(|p| offset + p)
}

//! From body bytes to something the scanner can read: settle the encoding (a BOM overrides the
//! caller's choice, as `Encoding::decode` does), then either hand the bytes over as they are or
//! decode them to UTF-8 first.
//!
//! The scanner reads raw bytes when every byte below 0x80 is that ASCII character and never part
//! of a multi-byte sequence: true of UTF-8 and of the single-byte encodings. In Shift_JIS, Big5,
//! GBK, gb18030, EUC-KR and EUC-JP a trail byte can be an ASCII letter, `[` or `]` (Shift_JIS
//! trail bytes are 0x40–0x7E and 0x80–0xFC), so `<![CDATA[`/`]]>`, entity names and end-tag names
//! could be misread; UTF-16 and ISO-2022-JP are not ASCII-based at all. Those are decoded with an
//! incremental `encoding_rs::Decoder` into a small UTF-8 buffer, which the scanner then reads.

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8};

use super::scanner::{Found, Scanner};

/// How much decoded text is produced at a time on the decoding path.
const DECODE_BUFFER: usize = 16 * 1024;

/// The byte-level front end of [`super::LinkScanner`].
#[derive(Debug)]
pub(super) struct Input {
    /// The caller's encoding, until a BOM (or its absence) settles it.
    encoding: &'static Encoding,
    /// The first bytes, kept until there are enough to look for a BOM.
    first: [u8; 3],
    first_len: usize,
    /// `None` until the BOM question is settled.
    scanner: Option<Scanner>,
    decoder: Option<(Decoder, Vec<u8>)>,
}

impl Input {
    pub(super) fn new(encoding: &'static Encoding) -> Input {
        Input { encoding, first: [0; 3], first_len: 0, scanner: None, decoder: None }
    }

    /// Text that is already decoded: no BOM sniffing, straight to the scanner.
    pub(super) fn for_text() -> Input {
        Input { scanner: Some(Scanner::new(UTF_8)), ..Input::new(UTF_8) }
    }

    pub(super) fn feed(&mut self, mut bytes: &[u8]) {
        if self.scanner.is_none() {
            let take = bytes.len().min(self.first.len() - self.first_len);
            self.first[self.first_len..self.first_len + take].copy_from_slice(&bytes[..take]);
            self.first_len += take;
            bytes = &bytes[take..];
            if self.first_len < self.first.len() {
                return; // not enough bytes to tell a UTF-8 BOM yet
            }
            self.settle_encoding();
        }
        self.push(bytes, false);
    }

    pub(super) fn finish(mut self) -> Found {
        if self.scanner.is_none() {
            self.settle_encoding();
        }
        self.push(&[], true);
        self.scanner.map(|scanner| scanner.found).unwrap_or_default()
    }

    /// Looks for a BOM in the first bytes, starts the scanner, and feeds it those bytes.
    fn settle_encoding(&mut self) {
        let first = self.first;
        let first = &first[..self.first_len];
        let (encoding, bom) = Encoding::for_bom(first).unwrap_or((self.encoding, 0));
        if encoding == UTF_8 || encoding.is_single_byte() {
            self.scanner = Some(Scanner::new(encoding));
        } else {
            self.scanner = Some(Scanner::new(UTF_8));
            let decoder = encoding.new_decoder_without_bom_handling();
            self.decoder = Some((decoder, vec![0; DECODE_BUFFER]));
        }
        self.push(&first[bom..], false);
    }

    fn push(&mut self, bytes: &[u8], last: bool) {
        let Some(scanner) = self.scanner.as_mut() else { return };
        let Some((decoder, buffer)) = self.decoder.as_mut() else {
            return scanner.run(bytes);
        };
        let mut bytes = bytes;
        loop {
            let (result, read, written, _) = decoder.decode_to_utf8(bytes, buffer, last);
            scanner.run(&buffer[..written]);
            bytes = &bytes[read..];
            if result == CoderResult::InputEmpty {
                break;
            }
        }
    }
}

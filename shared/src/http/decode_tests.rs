//! Content codings: gzip and br bodies decoded in every framing and every split, the cap on
//! the decoded bytes, and the ways a compressed body can be broken.

use std::io::Write;
use std::time::Instant;

use super::*;
use crate::page::BODY_CAP;

const CAP: usize = BODY_CAP as usize;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, flate2::Compression::fast())
}

fn gzip_at(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
    encoder.write_all(bytes).unwrap();
    drop(encoder);
    out
}

/// A response with `coding` and `body` (already encoded), framed by length (0), by the close
/// (1) or in chunks of 100 bytes (2).
fn wire(coding: &str, body: &[u8], framing: u8) -> Vec<u8> {
    let mut wire = format!("HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\n").into_bytes();
    match framing {
        0 => {
            wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            wire.extend_from_slice(body);
        }
        1 => {
            wire.extend_from_slice(b"\r\n");
            wire.extend_from_slice(body);
        }
        _ => {
            wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for chunk in body.chunks(100) {
                wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                wire.extend_from_slice(chunk);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
        }
    }
    wire
}

/// Feeds `wire` in pieces of `piece` bytes, then the end of the stream if no response came.
fn parse(wire: &[u8], piece: usize) -> Result<Response, HttpError> {
    let mut parser = ResponseParser::new();
    for chunk in wire.chunks(piece) {
        if let Parsed::Done(response) = parser.feed(chunk)? {
            return Ok(response);
        }
    }
    parser.eof()
}

fn page() -> Vec<u8> {
    (0..2_000).flat_map(|i| format!("<a href=\"/p{i}\">page {i}</a>\n").into_bytes()).collect()
}

/// gzip, x-gzip and br bodies come out decoded, whatever the framing and however the bytes
/// are split; the connection is reusable when the framing says so.
#[test]
fn decoded_in_every_framing_and_split() {
    let page = page();
    for (coding, encoded) in [("gzip", gzip(&page)), ("x-gzip", gzip(&page)), ("br", brotli(&page))]
    {
        assert!(encoded.len() * 4 < page.len(), "{coding} compresses");
        for framing in 0..3 {
            for piece in [1, 7, 1000, usize::MAX] {
                let response = parse(&wire(coding, &encoded, framing), piece)
                    .unwrap_or_else(|e| panic!("{coding} {framing} {piece}: {e}"));
                assert!(response.body == page, "{coding} framing {framing} piece {piece}");
                assert!(!response.truncated);
                assert_eq!(response.reusable, framing != 1, "{coding} {framing}");
            }
        }
    }
}

/// A small body that inflates far past the cap is cut at the cap after decoding little more
/// than the cap: the rest of it is never read, and the connection is not reused.
#[test]
fn a_bomb_is_cut_at_the_cap() {
    let bomb = gzip_at(&vec![0u8; CAP * 4], flate2::Compression::best());
    assert!(bomb.len() < CAP / 100, "{} bytes", bomb.len());
    for coding in ["gzip", "br"] {
        let encoded = if coding == "gzip" { bomb.clone() } else { brotli(&vec![0u8; CAP * 4]) };
        for framing in 0..3 {
            let started = Instant::now();
            let response = parse(&wire(coding, &encoded, framing), 16 * 1024).unwrap();
            assert_eq!(response.body.len(), CAP, "{coding} {framing}");
            assert!(response.truncated && !response.reusable, "{coding} {framing}");
            assert!(started.elapsed().as_secs() < 30, "{coding} {framing}: bounded time");
        }
    }
}

/// A body that does not decode, and one whose compressed stream ends before its framing does,
/// are `BadCoding` (MalformedResponse in the report).
#[test]
fn broken_streams_are_bad_codings() {
    let page = page();
    let mut corrupt = gzip(&page);
    let middle = corrupt.len() / 2;
    corrupt[middle..middle + 8].copy_from_slice(b"garbage!");
    let mut bad_crc = gzip(&page);
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    let short_gzip = gzip(&page)[..100].to_vec();
    let short_br = brotli(&page)[..100].to_vec();
    for (coding, body) in [
        ("gzip", b"this is not gzip".to_vec()),
        ("gzip", corrupt),
        ("gzip", bad_crc),
        ("gzip", short_gzip),
        ("br", b"\xff\xff\xff this is not brotli".to_vec()),
        ("br", short_br),
    ] {
        for framing in 0..3 {
            let got = parse(&wire(coding, &body, framing), 1000);
            assert_eq!(got.err(), Some(HttpError::BadCoding), "{coding} {framing}");
            assert_eq!(
                crate::NetError::from(HttpError::BadCoding),
                crate::NetError::MalformedResponse
            );
        }
    }
}

/// An empty body is empty whatever its coding says; a coding this client does not decode is
/// kept as sent; bytes after the end of a gzip stream are ignored.
#[test]
fn empty_unknown_and_trailing() {
    let response = parse(&wire("gzip", b"", 0), 1000).unwrap();
    assert!(response.body.is_empty() && response.reusable);
    let response = parse(&wire("zstd", b"\x28\xb5\x2f\xfd raw", 0), 1000).unwrap();
    assert_eq!(response.body, b"\x28\xb5\x2f\xfd raw");
    let mut trailing = gzip(b"hello");
    trailing.extend_from_slice(b"\0\0\0");
    assert_eq!(parse(&wire("gzip", &trailing, 0), 1000).unwrap().body, b"hello");
}

//! The codec fed a table of responses at every split point, byte by byte, and as arbitrary
//! bytes: the same answer every way, and never a panic.

use super::*;
use crate::page::BODY_CAP;
use proptest::prelude::*;
use proptest::sample::Index;

const CAP: usize = BODY_CAP as usize;

/// Feeds `pieces` in order, then `eof()` if no response came, as a model would.
fn run(pieces: &[&[u8]], head: bool) -> Result<Response, HttpError> {
    let mut parser = if head { ResponseParser::for_head() } else { ResponseParser::new() };
    for (i, piece) in pieces.iter().enumerate() {
        if let Parsed::Done(mut response) = parser.feed(piece)? {
            // Bytes in a later read than the one that ended the response: the parser
            // could not see them, but a model holding them must not reuse the connection.
            if pieces[i + 1..].iter().any(|p| !p.is_empty()) {
                response.reusable = false;
                assert_eq!(parser.feed(b"x").err(), Some(HttpError::MalformedHead));
            }
            return Ok(response);
        }
    }
    parser.eof()
}

/// The outcome of `bytes` fed whole, after checking every two-piece split and
/// byte-by-byte feeding give the same.
fn all_ways(bytes: &[u8], head: bool) -> Result<Response, HttpError> {
    let whole = run(&[bytes], head);
    for i in 0..=bytes.len() {
        assert_eq!(run(&[&bytes[..i], &bytes[i..]], head), whole, "split at {i}");
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(run(&singles, head), whole, "byte by byte");
    whole
}

/// A table row: bytes, whether they answer a HEAD request, status, body, reusable.
type Case = (&'static [u8], bool, u16, &'static [u8], bool);

/// Every framing and keep-alive rule gives the expected response, however bytes are split.
#[test]
fn table_of_responses() {
    let table: &[Case] = &[
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 200, b"hello", true),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, b"", true),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=val\r\nhello\r\n\
              A ; x\r\n, world!!!\r\n0\r\nExpires: never\r\nX-T: 1\r\n\r\n",
            false,
            200,
            b"hello, world!!!",
            true,
        ),
        (b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", false, 200, b"abc", true),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: a/b\r\n\r\nuntil close",
            false,
            200,
            b"until close",
            false,
        ),
        (b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", false, 204, b"", false),
        (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, 304, b"", true),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            false,
            200,
            b"ok",
            true,
        ),
        (
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n\
              HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            false,
            200,
            b"hi",
            true,
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc", false, 200, b"abc", false),
        (
            b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 3\r\n\r\nabc",
            false,
            200,
            b"abc",
            true,
        ),
        (
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx",
            false,
            200,
            b"x",
            false,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 99\r\n\r\n\
              2\r\nxy\r\n0\r\n\r\n",
            false,
            200,
            b"xy",
            true,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: Chunked\r\n\r\n\
              1\r\nz\r\n0\r\n\r\n",
            false,
            200,
            b"z",
            true,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n1\r\nz",
            false,
            200,
            b"1\r\nz",
            false,
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true, 200, b"", true),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false, 101, b"", false),
        (
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nno",
            false,
            404,
            b"no",
            true,
        ),
    ];
    for &(bytes, head, status, body, reusable) in table {
        let name = String::from_utf8_lossy(bytes);
        let response = all_ways(bytes, head).unwrap_or_else(|e| panic!("{e}: {name}"));
        assert_eq!(response.status, status, "{name}");
        assert_eq!(response.body, body, "{name}");
        assert_eq!(response.reusable, reusable, "{name}");
        assert!(!response.truncated, "{name}");
    }
}

/// Headers keep their case and order, and are looked up case-insensitively.
#[test]
fn header_lookup() {
    let bytes = b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n";
    let response = all_ways(bytes, false).unwrap();
    assert_eq!(response.header("X-a"), Some(&b"1"[..]));
    assert_eq!(response.header("missing"), None);
    assert_eq!(
        (response.headers[1].name.as_str(), &response.headers[1].value[..]),
        ("x-a", &b"2"[..])
    );
}

/// Each broken or cut-short response gives its error, however bytes are split.
#[test]
fn errors() {
    use HttpError::*;
    let long_line =
        [&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;"[..], &[b'a'; 5000]].concat();
    let table: &[(&[u8], HttpError)] = &[
        (b"hello world\r\n\r\n", MalformedHead),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\xffjunk\r\n\r\n", MalformedHead),
        (b"HTTP/2 200 OK\r\n\r\n", MalformedHead),
        (b"", ShortBody),
        (b"HTTP/1.1 200 OK\r\nContent-Le", ShortBody),
        (b"HTTP/1.1 100 Continue\r\n\r\n", ShortBody),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n01234567890123456789012345678901234567890123456789", ShortBody),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", ShortBody),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", ShortBody),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", MalformedBody),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n", MalformedBody),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX", MalformedBody),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n", MalformedBody),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", MalformedBody),
        (&long_line, MalformedBody),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", MalformedHead),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", MalformedHead),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n", MalformedHead),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", MalformedHead),
    ];
    for &(bytes, error) in table {
        assert_eq!(all_ways(bytes, false), Err(error), "{}", String::from_utf8_lossy(bytes));
    }
}

/// A head over MAX_HEAD errors as soon as it exceeds, at every split, with or without lines.
#[test]
fn head_too_large() {
    let endless = [&b"HTTP/1.1 200 "[..], &[b'a'; MAX_HEAD], b"\r\n\r\n"].concat();
    assert_eq!(all_ways(&endless, false), Err(HttpError::HeadTooLarge));
    let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut lines = b"HTTP/1.1 200 OK\r\n".to_vec();
    while lines.len() <= MAX_HEAD {
        lines.extend_from_slice(line);
    }
    lines.extend_from_slice(b"\r\n");
    for head in [&endless, &lines] {
        let mut parser = ResponseParser::new();
        assert!(matches!(parser.feed(&head[..MAX_HEAD]), Ok(Parsed::NeedMore)));
        assert_eq!(parser.feed(&head[MAX_HEAD..MAX_HEAD + 1]).err(), Some(HttpError::HeadTooLarge));
        assert_eq!(parser.eof(), Err(HttpError::HeadTooLarge));
        assert_eq!(run(&[head], false), Err(HttpError::HeadTooLarge));
    }
    let singles: Vec<&[u8]> = lines.chunks(1).collect();
    assert_eq!(run(&singles, false), Err(HttpError::HeadTooLarge));
}

/// Trailers longer than MAX_HEAD are refused, whole or byte by byte.
#[test]
fn trailers_too_long() {
    let bytes = [
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "[..],
        &[b'a'; MAX_HEAD],
        b"\r\n\r\n",
    ]
    .concat();
    assert_eq!(run(&[&bytes], false), Err(HttpError::MalformedBody));
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(run(&singles, false), Err(HttpError::MalformedBody));
}

/// Feeds `wire` in 64 KiB pieces; returns the response and the index of the piece that
/// gave it (`None` when only eof() completed it).
fn feed_in_pieces(wire: &[u8]) -> (Response, Option<usize>) {
    let mut parser = ResponseParser::new();
    for (i, piece) in wire.chunks(64 * 1024).enumerate() {
        if let Parsed::Done(response) = parser.feed(piece).unwrap() {
            return (response, Some(i));
        }
    }
    (parser.eof().unwrap(), None)
}

/// Builds a response: `head` then `body` in chunks of `chunk` bytes and a last chunk.
fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(chunk) {
        wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}

/// Bodies over the cap stop at the feed that crosses it; bodies of exactly the cap do not.
#[test]
fn body_cap() {
    const PIECE: usize = 64 * 1024;
    let over = vec![b'b'; CAP + 1000];
    let exact = &over[..CAP];
    let check_cut = |(response, at): (Response, Option<usize>), crossing: usize| {
        assert_eq!(response.body.len(), CAP);
        assert!(response.truncated && !response.reusable);
        assert_eq!(at, Some(crossing / PIECE));
    };

    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", over.len());
    let wire = [head.as_bytes(), &over].concat();
    // Content-Length says more is coming, so reaching the cap is enough.
    check_cut(feed_in_pieces(&wire), head.len() + CAP - 1);
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {CAP}\r\n\r\n");
    let (response, _) = feed_in_pieces(&[head.as_bytes(), exact].concat());
    assert!(!response.truncated && response.reusable && response.body.len() == CAP);

    let wire = chunked(&over, over.len());
    check_cut(feed_in_pieces(&wire), wire.len() - 1000 - 7 - 1);
    // The cap falls on a chunk boundary: the next chunk-size line shows more is coming.
    let wire = chunked(&over, 1024 * 1024);
    let boundary = wire.windows(7).position(|w| w == b"\r\n3e8\r\n").unwrap();
    check_cut(feed_in_pieces(&wire), boundary + 6);
    for chunk in [CAP, 1024 * 1024] {
        let (response, _) = feed_in_pieces(&chunked(exact, chunk));
        assert!(!response.truncated && response.reusable && response.body.len() == CAP);
    }

    let head = b"HTTP/1.1 200 OK\r\n\r\n";
    check_cut(feed_in_pieces(&[&head[..], &over].concat()), head.len() + CAP);
    let (response, at) = feed_in_pieces(&[&head[..], exact].concat());
    assert!(!response.truncated && !response.reusable && response.body.len() == CAP);
    assert_eq!(at, None);
}

/// Stray bytes after a complete response make it not reusable; feeding after Done is safe.
#[test]
fn stray_bytes_after_response() {
    let bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n";
    let response = all_ways(bytes, false).unwrap();
    assert_eq!(response.body, b"ok");
    assert!(!response.reusable);
    let mut parser = ResponseParser::new();
    assert!(matches!(parser.feed(bytes), Ok(Parsed::Done(_))));
    assert_eq!(parser.feed(b"more").err(), Some(HttpError::MalformedHead));
    assert_eq!(parser.feed(b"").err(), Some(HttpError::MalformedHead));
    assert_eq!(parser.eof(), Err(HttpError::ShortBody));
}

/// `started` turns true with the first byte, `in_body` once the head is complete.
#[test]
fn started_after_first_byte() {
    let mut parser = ResponseParser::new();
    assert!(matches!(parser.feed(b""), Ok(Parsed::NeedMore)));
    assert!(!parser.started());
    assert_eq!(parser.eof(), Err(HttpError::ShortBody));
    let mut parser = ResponseParser::default();
    assert!(matches!(parser.feed(b"H"), Ok(Parsed::NeedMore)));
    assert!(parser.started() && !parser.in_body());
    assert!(matches!(
        parser.feed(b"TTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab"),
        Ok(Parsed::NeedMore)
    ));
    assert!(parser.in_body(), "the head is complete, the body under way");
}

/// The request bytes are exact: lower-cased host, non-default port, no fragment.
#[test]
fn request_bytes() {
    let tail = "User-Agent: ua/1\r\nAccept: */*\r\nAccept-Encoding: gzip, br\r\n\
                Connection: keep-alive\r\n\r\n";
    for (url, start) in [
        (
            "http://Example.COM:8080/a/b?x=1#frag",
            "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n",
        ),
        ("http://h/", "GET / HTTP/1.1\r\nHost: h\r\n"),
        ("http://h:80", "GET / HTTP/1.1\r\nHost: h\r\n"),
        ("https://h:443/?", "GET /? HTTP/1.1\r\nHost: h\r\n"),
        ("http://[::1]:81/", "GET / HTTP/1.1\r\nHost: [::1]:81\r\n"),
    ] {
        let url = Url::parse(url).unwrap();
        assert_eq!(String::from_utf8(request(&url, "ua/1")).unwrap(), format!("{start}{tail}"));
    }
    let mut out = b"old".to_vec();
    write_request(&mut out, &Url::parse("http://h/").unwrap(), "a\r\nX: y");
    assert!(out.starts_with(b"oldGET / HTTP/1.1\r\n"));
    assert!(out.windows(17).any(|w| w == b"User-Agent: a  X:"));
}

/// Cuts `bytes` at the given points into pieces.
fn split<'a>(bytes: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain([bytes.len()]) {
        pieces.push(&bytes[start..point]);
        start = point;
    }
    pieces
}

proptest! {
    /// Any bytes, split anyhow, give a response or an error: never a panic or an
    /// oversized body, and the parser stays spent after Done or an error.
    #[test]
    fn arbitrary_bytes_never_panic(
        prefix in prop::sample::select(vec![
            "",
            "HTTP/1.1 200 OK\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
            "HTTP/1.0 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        ]),
        junk in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let bytes = [prefix.as_bytes(), &junk].concat();
        let mut parser = ResponseParser::new();
        let mut outcome = None;
        for piece in split(&bytes, &cuts) {
            match (parser.feed(piece), outcome.is_some()) {
                (Ok(Parsed::NeedMore), false) => {}
                (Ok(Parsed::Done(response)), false) => outcome = Some(Ok(response)),
                (Err(error), false) => outcome = Some(Err(error)),
                (result, true) => prop_assert!(result.is_err()),
            }
        }
        let outcome = outcome.unwrap_or_else(|| parser.eof());
        if let Ok(response) = outcome {
            prop_assert!(response.body.len() <= CAP);
        }
    }

    /// A well-formed response in any framing, split anyhow, gives back its status and body.
    #[test]
    fn well_formed_round_trip(
        status in (200u16..600).prop_filter("has a body", |s| *s != 204 && *s != 304),
        body in prop::collection::vec(any::<u8>(), 0..2000),
        framing in 0..3u8,
        sizes in prop::collection::vec(1usize..500, 1..10),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let mut wire = format!("HTTP/1.1 {status} Whatever\r\n").into_bytes();
        match framing {
            0 => wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes()),
            1 => wire.extend_from_slice(b"\r\n"),
            _ => {
                wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                let mut rest = &body[..];
                for size in sizes.iter().cycle() {
                    if rest.is_empty() {
                        break;
                    }
                    let (chunk, tail) = rest.split_at((*size).min(rest.len()));
                    wire.extend_from_slice(format!("{:X};e=1\r\n", chunk.len()).as_bytes());
                    wire.extend_from_slice(chunk);
                    wire.extend_from_slice(b"\r\n");
                    rest = tail;
                }
                wire.extend_from_slice(b"0\r\n\r\n");
            }
        }
        wire.extend_from_slice(&body);
        let wire = if framing == 2 { wire[..wire.len() - body.len()].to_vec() } else { wire };
        let response = run(&split(&wire, &cuts), false).unwrap();
        prop_assert_eq!(response.status, status);
        prop_assert_eq!(&response.body, &body);
        prop_assert!(!response.truncated);
        prop_assert_eq!(response.reusable, framing != 1);
    }
}

//! Compressed bodies: the site's pages sent gzip- or br-encoded when the request asks for the
//! coding (as nginx's `gzip on` does), and the two compression faults a crawler must survive: a
//! gzip bomb (a few megabytes that inflate to gigabytes) and a corrupt gzip stream.

use std::io::Write;

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress};

/// A content coding the site can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Coding {
    /// `gzip` (flate2, level 6, as zlib's default).
    Gzip,
    /// `br` (Brotli, quality 5).
    #[value(name = "br")]
    Brotli,
}

impl Coding {
    /// Its name in `Accept-Encoding` and `Content-Encoding`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
        }
    }

    /// `body`, encoded.
    pub fn encode(self, body: &[u8]) -> Bytes {
        match self {
            Coding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
                encoder.write_all(body).expect("writing to memory");
                Bytes::from(encoder.finish().expect("writing to memory"))
            }
            Coding::Brotli => {
                let mut out = Vec::new();
                let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                encoder.write_all(body).expect("writing to memory");
                drop(encoder);
                Bytes::from(out)
            }
        }
    }

    /// Whether a request whose `Accept-Encoding` is `header` takes this coding: the coding is
    /// listed (or `*` is) without `q=0`.
    ///
    /// # Examples
    /// ```
    /// use testsite::compress::Coding;
    /// assert!(Coding::Gzip.accepted_by(Some("gzip, br")));
    /// assert!(Coding::Brotli.accepted_by(Some("GZIP;q=0.5, Br")));
    /// assert!(!Coding::Gzip.accepted_by(Some("gzip;q=0, br")));
    /// assert!(!Coding::Gzip.accepted_by(Some("identity")));
    /// assert!(!Coding::Gzip.accepted_by(None));
    /// ```
    pub fn accepted_by(self, header: Option<&str>) -> bool {
        header.unwrap_or_default().split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            (name.eq_ignore_ascii_case(self.name()) || name == "*") && !refused
        })
    }
}

/// A valid gzip stream that inflates to `inflated` zero bytes (rounded down to whole MiB, at
/// least one), about a thousandth of that in size: the same deflate blocks, each of which
/// inflates to 1 MiB of zeros from a window of zeros, written again and again, with the
/// trailer's CRC-32 and length of the whole. Made in milliseconds, whatever `inflated` is.
pub fn gzip_bomb(inflated: u64) -> Bytes {
    const MIB: usize = 1 << 20;
    let units = (inflated / MIB as u64).max(1);
    let zeros = vec![0u8; MIB];
    let mut deflate = Compress::new(Compression::best(), false);
    let mut deflated = |input: &[u8], flush| {
        let mut out = Vec::with_capacity(MIB);
        deflate.compress_vec(input, &mut out, flush).expect("deflate in memory");
        out
    };
    // The first MiB starts from an empty window; every later one sees only zeros behind it,
    // so its blocks (ending on a byte boundary: a sync flush) can be repeated as they are.
    let first = deflated(&zeros, FlushCompress::Sync);
    let again = deflated(&zeros, FlushCompress::Sync);
    let last = deflated(&[], FlushCompress::Finish);
    let mut unit_crc = crc32fast::Hasher::new();
    unit_crc.update(&zeros);
    let mut crc = unit_crc.clone();
    for _ in 1..units {
        crc.combine(&unit_crc);
    }
    let mut out = Vec::with_capacity(first.len() + again.len() * units as usize + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    out.extend_from_slice(&first);
    for _ in 1..units {
        out.extend_from_slice(&again);
    }
    out.extend_from_slice(&last);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&((units * MIB as u64) as u32).to_le_bytes());
    Bytes::from(out)
}

/// A gzip stream of `body` with bytes in its middle overwritten: it does not inflate.
pub fn corrupt_gzip(body: &[u8]) -> Bytes {
    let mut gzip = Coding::Gzip.encode(body).to_vec();
    let middle = gzip.len() / 2;
    let end = gzip.len().min(middle + 16);
    gzip[middle..end].fill(0xff);
    Bytes::from(gzip)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// The bomb is a valid gzip stream of exactly the zeros it says, trailer included, at
    /// about a thousandth of their size.
    #[test]
    fn the_bomb_inflates_to_what_it_says() {
        let bomb = gzip_bomb(64 << 20);
        assert!(bomb.len() < (64 << 20) / 500, "{} bytes", bomb.len());
        let mut decoder = flate2::read::GzDecoder::new(&bomb[..]);
        let (mut total, mut buf) = (0u64, vec![0u8; 1 << 16]);
        loop {
            let n = decoder.read(&mut buf).expect("a valid gzip stream, CRC included");
            if n == 0 {
                break;
            }
            assert!(buf[..n].iter().all(|&b| b == 0));
            total += n as u64;
        }
        assert_eq!(total, 64 << 20);
    }

    /// Encoded bodies decode back; a corrupt one does not.
    #[test]
    fn encodings_round_trip() {
        let page = b"<html><a href=/x>x</a></html>".repeat(100);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&Coding::Gzip.encode(&page)[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, page);
        let mut back = Vec::new();
        brotli::Decompressor::new(&Coding::Brotli.encode(&page)[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, page);
        let corrupt = corrupt_gzip(&page);
        assert!(flate2::read::GzDecoder::new(&corrupt[..]).read_to_end(&mut Vec::new()).is_err());
    }
}

//! Runs the scanner on a body the ways a crawler can feed it and compares with the reference.
#![allow(dead_code)]

use encoding_rs::Encoding;
use url::Url;

use super::reference;

/// The page URL every test case is resolved against.
pub fn page() -> Url {
    // A constant, valid URL: parsing cannot fail.
    Url::parse("http://example.com/dir/page.html?q=1").unwrap()
}

fn strings<T: AsRef<str>>(links: &[T]) -> Vec<&str> {
    links.iter().map(AsRef::as_ref).collect()
}

/// The scanner fed `body` in chunks of the given sizes (cycled; 0 means "the rest").
pub fn scan_in_chunks(
    page: &Url,
    body: &[u8],
    encoding: &'static Encoding,
    sizes: &[usize],
) -> Vec<shared::links::Link> {
    let mut scanner = shared::links::LinkScanner::new(page, encoding);
    let mut rest = body;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let size = match sizes.next() {
            Some(0) | None => rest.len(),
            Some(&size) => size.min(rest.len()),
        };
        scanner.feed(&rest[..size]);
        rest = &rest[size..];
    }
    scanner.finish()
}

/// Compares the scanner with the reference: whole, at every split point when `every_split`,
/// and in the given chunk sizes. Returns a description of the first difference.
pub fn compare(
    body: &[u8],
    encoding: &'static Encoding,
    every_split: bool,
    chunks: &[&[usize]],
) -> Result<(), String> {
    let page = page();
    let expected = reference::extract_bytes(&page, body, encoding);
    let report = |how: &str, got: &[shared::links::Link]| {
        Err(format!(
            "{how} ({}): body {:?}\n  scanner   {:?}\n  reference {:?}",
            encoding.name(),
            String::from_utf8_lossy(body),
            strings(got),
            strings(&expected)
        ))
    };
    let whole = shared::links::extract_bytes(&page, body, encoding);
    if whole != expected {
        return report("whole", &whole);
    }
    if encoding == encoding_rs::UTF_8
        && let Ok(text) = std::str::from_utf8(body)
    {
        // Text goes straight to the parser: no BOM sniffing.
        let from_text = shared::links::extract(&page, text);
        let reference_text = reference::extract(&page, text);
        if from_text != reference_text {
            return Err(format!(
                "text: {text:?}\n  scanner   {:?}\n  reference {:?}",
                strings(&from_text),
                strings(&reference_text)
            ));
        }
    }
    if every_split {
        for split in 1..body.len() {
            let got = scan_in_chunks(&page, body, encoding, &[split, 0]);
            if got != expected {
                return report(&format!("split at {split}"), &got);
            }
        }
    }
    for sizes in chunks {
        let got = scan_in_chunks(&page, body, encoding, sizes);
        if got != expected {
            return report(&format!("chunks of {sizes:?}"), &got);
        }
    }
    Ok(())
}

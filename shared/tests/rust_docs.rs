//! Every page of the installed Rust documentation, scanner against reference.

#[path = "support/files.rs"]
mod files;
#[path = "support/reference.rs"]
mod reference;

use std::sync::Mutex;

use shared::links::Link;
use url::Url;

use files::{docs_root, html_files};

/// The first difference between two link lists, briefly.
fn diff(ours: &[Link], theirs: &[Url]) -> String {
    let index =
        ours.iter().zip(theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
    format!(
        "{} vs {} links; first difference at #{index}: scanner {:?}, reference {:?}",
        ours.len(),
        theirs.len(),
        ours.get(index).map(Link::as_str),
        theirs.get(index).map(Url::as_str)
    )
}

#[test]
#[ignore = "needs the installed Rust docs; run with --ignored"]
fn every_rust_doc_page_matches_the_reference() {
    let root = docs_root();
    let mut files = Vec::new();
    html_files(&root, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no Rust docs under {}", root.display());
    let differing = Mutex::new(Vec::new());
    let bytes = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (files, differing, bytes, root) = (&files, &differing, &bytes, &root);
            scope.spawn(move || {
                for path in files.iter().skip(t).step_by(threads) {
                    let Ok(body) = std::fs::read(path) else { continue };
                    bytes.fetch_add(body.len(), std::sync::atomic::Ordering::Relaxed);
                    let relative = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
                    let Ok(page) = Url::parse(&format!("https://doc.example/{relative}")) else {
                        continue;
                    };
                    let ours = shared::links::extract_bytes(&page, &body, encoding_rs::UTF_8);
                    let theirs = reference::extract_bytes(&page, &body, encoding_rs::UTF_8);
                    if ours != theirs {
                        let mut differing = differing.lock().unwrap_or_else(|e| e.into_inner());
                        differing.push((relative.into_owned(), diff(&ours, &theirs)));
                    }
                }
            });
        }
    });
    let mut differing = differing.into_inner().unwrap_or_else(|e| e.into_inner());
    differing.sort();
    println!(
        "{} documents ({} MB), {} differ",
        files.len(),
        bytes.into_inner() / 1_000_000,
        differing.len()
    );
    for (path, diff) in differing.iter().take(10) {
        println!("  {path}: {diff}");
    }
    assert_eq!(differing.len(), 0, "documents differ");
}
